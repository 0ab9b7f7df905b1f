#include "boot.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "manifest.h"
#include "templates.h"
#include "util.h"

/*
 * The programs are templates/make_boot.eval and make_relup.eval, run in
 * the build machine's erl; the paths come from -extra, or hex-encoded
 * on stdin, so that no path is ever quoted into Erlang source.
 */

/*
 * erl writes with the caller's umask; what it wrote must not depend on
 * it, or a build under umask 077 would differ from one under 022.
 */
static int fix_modes(const struct rb_boot_job *job, struct rb_error *err)
{
	static const char *const made[] = {
		"start.boot", "start.script", "start_clean.boot",
		"start_clean.script", NULL,
	};
	char *beam = path_join(job->ctl_dir, "relbuild_ctl.beam");
	int ret = 0;

	for (const char *const *m = made; *m && !ret; m++) {
		char *path = path_join(job->rel_dir, *m);

		if (chmod(path, 0644) < 0)
			ret = rb_fail_errno(err, "cannot chmod '%s'", path);
		free(path);
	}
	if (!ret && chmod(beam, 0644) < 0)
		ret = rb_fail_errno(err, "cannot chmod '%s'", beam);
	free(beam);
	return ret;
}

/* erl's output on one line, as the error of what failed. */
static void erl_failed(struct strbuf *out, const char *what,
		       struct rb_error *err)
{
	char *msg = xstrdup(sb_str(out));
	size_t n = strlen(msg);

	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	rb_fail(err, "cannot %s: %s", what, *msg ? msg : "erl failed");
	free(msg);
}

/* Run argv (an erl -eval program); what it printed is the error. */
static int run_erl(const char *const *argv, const char *what,
		   struct rb_error *err)
{
	struct strbuf out = STRBUF_INIT;
	int status = run_capture(argv, NULL, &out, err);

	if (status > 0)
		erl_failed(&out, what, err);
	sb_release(&out);
	return status ? -1 : 0;
}

/*
 * write_all() to a pipe whose reader may be gone, without dying of
 * SIGPIPE: blocked for the call, and a pending one taken back.
 */
static int write_all_nosigpipe(int fd, const void *buf, size_t len)
{
	static const struct timespec now = { 0, 0 };
	sigset_t pipe_set, old;
	int r, saved;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	r = write_all(fd, buf, len);
	saved = errno;
	if (r < 0 && saved == EPIPE)
		sigtimedwait(&pipe_set, NULL, &now);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return r;
}

/*
 * Where compiled helpers are kept between builds: <XDG_CACHE_HOME or
 * ~/.cache>/relbuild (0700), made if need be; "" when there is none.
 */
static char *cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *dir;

	if (xdg && xdg[0] == '/')
		dir = path_join(xdg, "relbuild");
	else if (home && home[0] == '/')
		dir = xasprintf("%s/.cache/relbuild", home);
	else
		return xstrdup("");
	if (mkdir_p(dir, NULL) < 0 || chmod(dir, 0700) < 0 || access(dir, W_OK) < 0) {
		free(dir);
		return xstrdup("");
	}
	return dir;
}

int rb_boot_start(struct rb_boot_vm *vm, const char *erl, struct rb_error *err)
{
	const struct rb_template *tpl = rb_template_find("relbuild_ctl.erl");
	char *src = NULL, *cache = cache_dir();
	char key[RB_SHA256_HEX];
	int ret = -1;

	memset(vm, 0, sizeof(*vm));
	vm->child.in = vm->child.out = -1;
	vm->tmp = rb_cleanup_mkdtemp("relbuild-ctl", err);
	if (!vm->tmp)
		return -1;
	src = path_join(vm->tmp, "relbuild_ctl.erl");
	if (write_file(src, tpl->data, tpl->len, 0644, err) < 0 ||
	    rb_sha256_buf(tpl->data, tpl->len, key, err) < 0)
		goto out;
	key[16] = '\0';
	{
		const char *argv[] = {
			erl, "-noshell", "-boot", "start_clean",
			"-eval", rb_template_find("make_boot.eval")->data,
			"-extra", src, cache, key, NULL,
		};

		ret = rb_child_start(&vm->child, argv, NULL, 1, err);
	}
out:
	free(src);
	free(cache);
	if (ret < 0)
		rb_boot_abort(vm);
	return ret;
}

/* One line of the job: path's bytes in hex. */
static void add_hex_line(struct strbuf *sb, const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		sb_addf(sb, "%02x", *p);
	sb_addc(sb, '\n');
}

void rb_boot_send(struct rb_boot_vm *vm, const struct rb_boot_job *job)
{
	struct strbuf in = STRBUF_INIT;

	add_hex_line(&in, job->rel_dir);
	add_hex_line(&in, job->rel_name);
	add_hex_line(&in, job->lib_dir);
	add_hex_line(&in, job->ctl_dir);
	/* a VM that died already is reported by its status, not EPIPE */
	(void)write_all_nosigpipe(vm->child.in, in.buf, in.len);
	sb_release(&in);
	vm->job = *job;
}

int rb_boot_wait(struct rb_boot_vm *vm, struct rb_error *err)
{
	struct strbuf out = STRBUF_INIT;
	int status, ret = -1;

	status = rb_child_wait(&vm->child, &out, err);
	if (status > 0)
		erl_failed(&out, "make the boot script", err);
	else if (!status)
		ret = fix_modes(&vm->job, err);
	sb_release(&out);
	rb_boot_abort(vm);
	return ret;
}

void rb_boot_abort(struct rb_boot_vm *vm)
{
	rb_child_stop(&vm->child);
	if (vm->tmp) {
		remove_tree(vm->tmp, NULL);
		rb_cleanup_forget(vm->tmp);
		free(vm->tmp);
		vm->tmp = NULL;
	}
}

/*
 * Every application of both releases is on the path: systools finds
 * each by name and version, the new ones' appups in the new tree.  Old
 * paths first, so that an application both releases share (unchanged:
 * the caller checked) comes from one place.
 */
int rb_relup_make(const struct rb_relup_job *job, struct rb_error *err)
{
	const char *argv[] = {
		job->erl, "-noshell", "-noinput", "-boot", "start_clean",
		"-eval", rb_template_find("make_relup.eval")->data,
		"-extra", job->rel, job->old_rel,
		job->lib_dir, job->old_lib_dir, job->outdir, NULL,
	};
	char *relup;
	int ret = 0;

	if (run_erl(argv, "make the relup", err) < 0)
		return -1;
	relup = path_join(job->outdir, "relup");
	if (chmod(relup, 0644) < 0) /* as fix_modes(): not the umask's */
		ret = rb_fail_errno(err, "cannot chmod '%s'", relup);
	free(relup);
	return ret;
}
