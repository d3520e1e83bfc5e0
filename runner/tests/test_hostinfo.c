/* Host identity from /proc/cpuinfo text and /sys/module. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostinfo.h"

static const char cpuinfo[] = "processor\t: 0\n"
			      "vendor_id\t: AuthenticAMD\n"
			      "cpu family\t: 25\n"
			      "model\t\t: 1\n"
			      "model name\t: AMD EPYC 7B13\n"
			      "flags\t\t: fpu vme sse2 umip\n"
			      "\n"
			      "processor\t: 1\n"
			      "vendor_id\t: GenuineIntel\n"
			      "flags\t\t: other\n";

Test(hostinfo, parse_cpuinfo)
{
	struct hostinfo h;

	hostinfo_parse_cpuinfo(&h, cpuinfo, "kvm_pvm");
	cr_assert_str_eq(h.vendor, "AuthenticAMD");
	cr_assert_str_eq(h.model_name, "AMD EPYC 7B13");
	cr_assert_eq(h.family, 25);
	cr_assert_eq(h.model, 1);
	cr_assert_eq(h.nflags, 4);
	cr_assert(hostinfo_has_flag(&h, "umip"));
	cr_assert(!hostinfo_has_flag(&h, "other"));
	cr_assert(!hostinfo_has_flag(&h, "sse"));
	cr_assert_str_eq(h.host_class, "AuthenticAMD-25-1/kvm_pvm");
	hostinfo_free(&h);
}

Test(hostinfo, empty_cpuinfo)
{
	struct hostinfo h;

	hostinfo_parse_cpuinfo(&h, "", "none");
	cr_assert_str_eq(h.vendor, "unknown");
	cr_assert_str_eq(h.host_class, "unknown--1--1/none");
	hostinfo_free(&h);
}

Test(hostinfo, kvm_backend_order)
{
	char dir[] = "/tmp/popek-sysmod-XXXXXX", path[256];

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_str_eq(hostinfo_kvm_backend(dir), "none");
	snprintf(path, sizeof(path), "%s/kvm_pvm", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	cr_assert_str_eq(hostinfo_kvm_backend(dir), "kvm_pvm");
	snprintf(path, sizeof(path), "%s/kvm_amd", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	cr_assert_str_eq(hostinfo_kvm_backend(dir), "kvm_amd");
	rmdir(path);
	snprintf(path, sizeof(path), "%s/kvm_pvm", dir);
	rmdir(path);
	rmdir(dir);
}

Test(hostinfo, probe_this_host)
{
	struct hostinfo h;
	struct perr e;

	cr_assert_eq(hostinfo_probe(&h, &e), 0, "%s", e.msg);
	cr_assert_neq(strlen(h.host_class), 0);
	cr_assert_neq(strlen(h.hostname), 0);
	hostinfo_free(&h);
}
