/*
 * Guest code in the monitor window, run one instruction at a time
 * (window.c).
 */
#ifndef REFVMM_EMU_WINDOW_H
#define REFVMM_EMU_WINDOW_H

#include "vm.h"

/* 0 EIP is not there; 1 ran until it left; 2 a slice ran (give the run
 * loop a turn); -1 raised c->exc_*. */
int window__emulate(struct monitor *t);

#endif
