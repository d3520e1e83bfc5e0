/* Multiboot v1 header constants (Multiboot Specification 0.6.96, 3.1.1). */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, memory information */
#define MB_CHECKSUM (-(MB_MAGIC + MB_FLAGS))
#define MB_BOOT_MAGIC 0x2BADB002 /* what the loader leaves in EAX */
#define BOOT_STACK_SIZE 16384
