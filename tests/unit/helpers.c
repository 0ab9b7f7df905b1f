#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "util.h"

void test_put(const char *root, const char *rel, const char *content,
	      mode_t mode)
{
	char *full = path_join(root, rel);
	char *dir = xstrdup(full);
	struct rb_error err;

	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, &err) < 0 ||
	    write_file(full, content, strlen(content), mode, &err) < 0)
		fail_msg("%s", err.msg);
	free(dir);
	free(full);
}

char *test_slurp(const char *path, size_t *len)
{
	struct rb_error err;
	char *text = NULL;

	if (read_file(path, &text, len, &err) < 0)
		fail_msg("%s", err.msg);
	return text;
}
