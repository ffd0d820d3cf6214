/* Host unit tests: a file of the tree, found from the repository root (where make runs the
 * tests) or from the test binary's place, build/unit/. Header-only, for the test programs. */
#ifndef VMXRAY_TESTS_UNIT_TREE_PATH_H
#define VMXRAY_TESTS_UNIT_TREE_PATH_H
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The path of rel (relative to the repository root); a static buffer, valid until the next
 * call. */
static inline const char *test_tree_path(const char *rel)
{
	static char path[1024];
	char exe[512];
	ssize_t n;

	snprintf(path, sizeof(path), "%s", rel);
	if (access(path, R_OK) == 0)
		return path;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(exe, '/');

	if (slash)
		*slash = '\0';
	snprintf(path, sizeof(path), "%s/../../%s", exe, rel);
	return path;
}

#endif
