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

Test(hostinfo, emulator_signature)
{
	cr_assert_str_eq(hostinfo_emulator("TCGTCGTCGTCG"), "qemu-tcg");
	cr_assert_null(hostinfo_emulator("KVMKVMKVM\0\0\0"));
	cr_assert_null(hostinfo_emulator("Microsoft Hv"));
	cr_assert_null(hostinfo_emulator("TCGTCGTCGTCH"));
}

Test(hostinfo, emulator_in_class)
{
	struct hostinfo h;

	hostinfo_parse_cpuinfo(&h, cpuinfo, "none");
	hostinfo_set_emulator(&h, "qemu-tcg");
	cr_assert_str_eq(h.emulator, "qemu-tcg");
	cr_assert_str_eq(h.host_class, "AuthenticAMD-25-1/none@qemu-tcg");
	hostinfo_set_emulator(&h, NULL);
	cr_assert_null(h.emulator);
	cr_assert_str_eq(h.host_class, "AuthenticAMD-25-1/none");
	hostinfo_free(&h);
}

/* kvm_amd without NPT in the CPU (QEMU's -cpu EPYC,-npt) is its own class:
 * KVM shadows the guest's page tables there. */
Test(hostinfo, shadow_paging_in_class)
{
	struct hostinfo h;

	hostinfo_set(&h, "AuthenticAMD", "", 23, 1, "svm npt sse2", "kvm_amd");
	hostinfo_set_emulator(&h, "qemu-tcg");
	cr_assert_str_eq(h.host_class, "AuthenticAMD-23-1/kvm_amd@qemu-tcg");
	hostinfo_free(&h);
	hostinfo_set(&h, "AuthenticAMD", "", 23, 1, "svm sse2", "kvm_amd");
	cr_assert_str_eq(h.host_class, "AuthenticAMD-23-1/kvm_amd-shadow");
	hostinfo_set_emulator(&h, "qemu-tcg");
	cr_assert_str_eq(h.host_class,
			 "AuthenticAMD-23-1/kvm_amd-shadow@qemu-tcg");
	cr_assert_str_eq(h.backend, "kvm_amd");
	hostinfo_free(&h);
	hostinfo_set(&h, "AuthenticAMD", "", 25, 1, "sse2", "kvm_pvm");
	cr_assert_str_eq(h.host_class, "AuthenticAMD-25-1/kvm_pvm");
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

static struct kernel_version ver(const char *text, bool exact)
{
	struct kernel_version v;

	cr_assert(kernel_version_parse(text, exact, &v), "'%s' should parse",
		  text);
	return v;
}

Test(hostinfo, kernel_version_parse)
{
	struct kernel_version v;

	v = ver("6.18.44-fc-v1272", false);
	cr_assert_eq(v.n, 3);
	cr_assert_eq(v.v[0], 6);
	cr_assert_eq(v.v[1], 18);
	cr_assert_eq(v.v[2], 44);
	v = ver("5.15.0-91-generic", false);
	cr_assert_eq(v.n, 3);
	cr_assert_eq(v.v[1], 15);
	cr_assert_eq(v.v[2], 0);
	v = ver("6.8-rc1", false);
	cr_assert_eq(v.n, 2);
	cr_assert_eq(v.v[2], 0);
	v = ver("6.7", true);
	cr_assert_eq(v.n, 2);
	v = ver("10.0.1", true);
	cr_assert_eq(v.v[0], 10);
	cr_assert_eq(v.v[2], 1);
	/* A release goes on after the version; a condition's value ends. */
	cr_assert(!kernel_version_parse("6.8-rc1", true, &v));
	cr_assert(!kernel_version_parse("6.7.", true, &v));
	cr_assert(!kernel_version_parse("6.7.8.9", true, &v));
	cr_assert(kernel_version_parse("6.7.8.9", false, &v));
	cr_assert_eq(v.n, 3);
	cr_assert(!kernel_version_parse("6", true, &v));
	cr_assert(!kernel_version_parse("6", false, &v));
	cr_assert(!kernel_version_parse("6.", false, &v));
	cr_assert(!kernel_version_parse("", false, &v));
	cr_assert(!kernel_version_parse("v6.7", false, &v));
	cr_assert(!kernel_version_parse("6.x", false, &v));
	cr_assert(!kernel_version_parse("6.99999999999999999999", true, &v));
	cr_assert(!kernel_version_parse("6.100000", true, &v));
}

static int cmp(const char *host, const char *want)
{
	struct kernel_version h = ver(host, false), w = ver(want, true);

	return kernel_version_cmp(&h, &w);
}

Test(hostinfo, kernel_version_compare)
{
	/* Numerically, not as text: 6.10 is newer than 6.9. */
	cr_assert_gt(cmp("6.10.0", "6.9"), 0);
	cr_assert_lt(cmp("6.9.12", "6.10"), 0);
	cr_assert_gt(cmp("10.1", "9.99"), 0);
	/* On as many components as the wanted version gives. */
	cr_assert_eq(cmp("6.7.5-generic", "6.7"), 0);
	cr_assert_eq(cmp("6.7", "6.7"), 0);
	cr_assert_lt(cmp("6.7", "6.7.1"), 0); /* a missing patch is 0 */
	cr_assert_eq(cmp("6.7", "6.7.0"), 0);
	cr_assert_gt(cmp("6.7.10", "6.7.9"), 0);
	cr_assert_lt(cmp("6.7.9", "6.7.10"), 0);
	cr_assert_gt(cmp("7.0", "6.99.99"), 0);
	cr_assert_lt(cmp("5.99.99", "6.0"), 0);
}

Test(hostinfo, kernel_release_is_recorded)
{
	struct hostinfo h;
	struct perr e;

	hostinfo_set(&h, "GenuineIntel", "", 6, 85, "", "none");
	cr_assert_str_eq(h.kernel, "");
	hostinfo_set_kernel(&h, "6.8.0-45-generic");
	cr_assert_str_eq(h.kernel, "6.8.0-45-generic");
	hostinfo_free(&h);
	cr_assert_eq(hostinfo_probe(&h, &e), 0, "%s", e.msg);
	cr_assert(kernel_version_parse(h.kernel, false,
				       &(struct kernel_version){0}),
		  "this host's release '%s' should parse", h.kernel);
	hostinfo_free(&h);
}
