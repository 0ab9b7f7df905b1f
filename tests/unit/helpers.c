#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "tarball.h"
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

int test_has_problem(const struct rb_verify_result *res,
		     enum rb_problem_kind kind, const char *path)
{
	for (size_t i = 0; i < res->nr_problems; i++)
		if (res->problems[i].kind == kind &&
		    !strcmp(res->problems[i].path, path))
			return 1;
	return 0;
}

pid_t test_spawn(const char *cwd, char *const argv[])
{
	int fds[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(fds[0]);
		if ((!cwd || chdir(cwd) == 0))
			execvp(argv[0], argv);
		/* a byte on the pipe says exec failed */
		if (write(fds[1], "x", 1) < 0)
			_exit(127);
		_exit(127);
	}
	close(fds[1]);
	/* EOF once the child has exec'd (the pipe is close-on-exec) */
	if (read(fds[0], &c, 1) != 0) {
		close(fds[0]);
		test_stop(pid);
		fail_msg("cannot start %s", argv[0]);
	}
	close(fds[0]);
	return pid;
}

void test_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0)
		;
}

void test_put_bytes(const char *root, const char *rel, const void *data,
		      size_t len, mode_t mode)
{
	char *full = path_join(root, rel);
	char *dir = path_dir(full);
	struct rb_error err;

	if (mkdir_p(dir, &err) < 0 ||
	    write_file(full, data, len, mode, &err) < 0)
		fail_msg("%s", err.msg);
	free(dir);
	free(full);
}

void test_put_text(const char *root, const char *rel, const char *text)
{
	test_put_bytes(root, rel, text, strlen(text), 0644);
}

static void be32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };

	sb_add(sb, b, 4);
}

static void chunk(struct strbuf *sb, const char *id, const struct strbuf *data)
{
	sb_add(sb, id, 4);
	be32(sb, (uint32_t)data->len);
	sb_add(sb, sb_str(data), data->len);
	while (sb->len % 4)
		sb_addc(sb, '\0');
}

/*
 * A minimal beam: atoms (the module, f, maybe code_change), exports
 * f/0 and maybe code_change/3, and a Code chunk holding variant.
 */
char *test_fake_beam(const char *mod, int code_change, const char *variant,
		       size_t *len)
{
	struct strbuf atoms = STRBUF_INIT, exp = STRBUF_INIT, code = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT, out = STRBUF_INIT;

	be32(&atoms, code_change ? 3 : 2);
	sb_addc(&atoms, (char)strlen(mod));
	sb_adds(&atoms, mod);
	sb_addc(&atoms, 1);
	sb_adds(&atoms, "f");
	if (code_change) {
		sb_addc(&atoms, 11);
		sb_adds(&atoms, "code_change");
	}
	be32(&exp, code_change ? 2 : 1);
	be32(&exp, 2);
	be32(&exp, 0);
	be32(&exp, 2);
	if (code_change) {
		be32(&exp, 3);
		be32(&exp, 3);
		be32(&exp, 4);
	}
	sb_adds(&code, variant);
	sb_adds(&body, "BEAM");
	chunk(&body, "AtU8", &atoms);
	chunk(&body, "Code", &code);
	chunk(&body, "ExpT", &exp);
	sb_adds(&out, "FOR1");
	be32(&out, (uint32_t)body.len);
	sb_add(&out, sb_str(&body), body.len);
	*len = out.len;
	sb_release(&atoms);
	sb_release(&exp);
	sb_release(&code);
	sb_release(&body);
	return sb_detach(&out);
}

void test_put_beam(const char *root, const char *rel, const char *mod,
		     int code_change, const char *variant)
{
	size_t len;
	char *b = test_fake_beam(mod, code_change, variant, &len);

	test_put_bytes(root, rel, b, len, 0644);
	free(b);
}

void test_write_tarball(const char *root, const char *vsn, const char *dest)
{
	struct rb_pack pk = { .compression = RB_COMPRESS_GZIP, .threads = 1 };
	struct rb_exclude ex = { vsn, NULL, 1 };
	struct rb_error err;

	if (rb_archive_write_tree(root, dest, &pk, RB_DEFAULT_EPOCH, &ex, NULL,
				  &err) < 0)
		fail_msg("%s", err.msg);
}
