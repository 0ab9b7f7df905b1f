#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manifest.h"
#include "selfextract.h"
#include "tarball.h"
#include "util.h"

#define EPOCH 1700000000LL

/*
 * bin/demo of the fixture's release: prints the release root it runs
 * from and each argument in brackets, and exits with DEMO_EXIT.
 */
#define DEMO_BIN                                                          \
	"#!/bin/sh\n"                                                     \
	"root=$(cd \"$(dirname \"$0\")/..\" && pwd -P)\n"                 \
	"printf 'root=%s\\n' \"$root\"\n"                                 \
	"for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n"             \
	"exit \"${DEMO_EXIT:-0}\"\n"

struct fixture {
	char *tmp;     /* everything lives below this */
	char *rel;     /* tmp/rel: the release tree */
	char *tarball; /* its tarball, rel/releases/0.1.0/demo.tar.gz */
	char *run;     /* tmp/demo-0.1.0.run */
	char *cache;   /* tmp/cache: XDG_CACHE_HOME */
	char *home;    /* the cache directory a run of run extracts into */
	char sha[RB_SHA256_HEX]; /* the tarball's */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/rb-selfextract-XXXXXX";
	struct rb_tarball t = { 0 };
	struct rb_error err;
	char key[17];

	assert_non_null(mkdtemp(tmpl));
	f->tmp = xstrdup(tmpl);
	f->rel = path_join(f->tmp, "rel");
	test_put(f->rel, "bin/demo", DEMO_BIN, 0755);
	test_put(f->rel, "releases/start_erl.data", "13.1.5 0.1.0\n", 0644);
	test_put(f->rel, "releases/0.1.0/demo.rel", "{release, {\"demo\", \"0.1.0\"}, {erts, \"13.1.5\"}, []}.\n", 0644);
	test_put(f->rel, "lib/demo-0.1.0/ebin/demo.app", "{application, demo, []}.\n", 0644);
	test_put(f->rel, "lib/demo-0.1.0/priv/a file", "with a space\n", 0644);
	test_put(f->rel, "lib/demo-0.1.0/priv/private", "others may not read\n", 0600);
	if (rb_tarball_make(&t, f->rel, "demo", "0.1.0",
			    &(struct rb_pack){ .compression = RB_COMPRESS_GZIP,
					       .threads = 1, .manifest = 1 },
			    EPOCH, &err) < 0)
		fail_msg("%s", err.msg);
	f->tarball = xstrdup(t.path);
	memcpy(f->sha, t.hash, RB_SHA256_HEX);
	rb_tarball_release(&t);
	f->run = path_join(f->tmp, "demo-0.1.0.run");
	f->cache = path_join(f->tmp, "cache");
	memcpy(key, f->sha, 16);
	key[16] = '\0';
	f->home = xasprintf("%s/relbuild/demo/0.1.0-%s", f->cache, key);
	if (rb_write_executable(f->tarball, f->run, "demo", "0.1.0", &err) < 0)
		fail_msg("%s", err.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;

	remove_tree(f->tmp, &err);
	free(f->tmp);
	free(f->rel);
	free(f->tarball);
	free(f->run);
	free(f->cache);
	free(f->home);
	free(f);
	return 0;
}

/* The value of "KEY=" at the start of a line of the header, or NULL. */
static char *header_value(const char *text, const char *key)
{
	char *pat = xasprintf("\n%s=", key);
	const char *p = strstr(text, pat), *end;
	char *v = NULL;

	if (p) {
		p += strlen(pat);
		end = strchr(p, '\n');
		v = xstrndup(p, end ? (size_t)(end - p) : strlen(p));
	}
	free(pat);
	return v;
}

static long header_size(const char *text)
{
	char *v = header_value(text, "RB_RUN_HEADER_SIZE");
	long n;

	assert_non_null(v);
	n = atol(v);
	free(v);
	return n;
}

/* SHA-256 of a run file but its 64 digits on line 2. */
static void sum_of(const char *data, size_t len, char hex[RB_SHA256_HEX])
{
	struct rb_sha256 h = { NULL };
	struct rb_error err;

	assert_int_equal(rb_sha256_init(&h, &err), 0);
	assert_int_equal(rb_sha256_update(&h, data, RB_RUN_SUM_AT, &err), 0);
	assert_int_equal(rb_sha256_update(&h, data + RB_RUN_SUM_AT + 64,
					  len - RB_RUN_SUM_AT - 64, &err), 0);
	assert_int_equal(rb_sha256_final(&h, hex, &err), 0);
	rb_sha256_release(&h);
}

static void test_layout(void **state)
{
	struct fixture *f = *state;
	size_t len, tlen;
	char *run = test_slurp(f->run, &len);
	char *tar = test_slurp(f->tarball, &tlen);
	char *v, sum[RB_SHA256_HEX], size[32];
	struct stat st;
	long hsize = header_size(run);

	/* the sum on line 2, in quotes, of every byte but its own */
	assert_memory_equal(run, "#!/bin/sh\nRB_RUN_SHA256='", RB_RUN_SUM_AT);
	assert_memory_equal(run + RB_RUN_SUM_AT + 64, "'\n", 2);
	sum_of(run, len, sum);
	assert_memory_equal(run + RB_RUN_SUM_AT, sum, 64);

	/* the tarball, byte for byte, right after the header */
	assert_true(hsize > 0 && (size_t)hsize + tlen == len);
	assert_memory_equal(run + hsize, tar, tlen);
	assert_memory_equal(run + hsize - 33, "# The tarball follows this line.\n", 33);

	v = header_value(run, "RB_RUN_NAME");
	assert_string_equal(v, "'demo'");
	free(v);
	v = header_value(run, "RB_RUN_VSN");
	assert_string_equal(v, "'0.1.0'");
	free(v);
	v = header_value(run, "RB_RUN_PAYLOAD_SHA256");
	assert_string_equal(v, f->sha);
	free(v);
	snprintf(size, sizeof(size), "%zu", tlen);
	v = header_value(run, "RB_RUN_PAYLOAD_SIZE");
	assert_string_equal(v, size);
	free(v);
	v = header_value(run, "RB_RUN_COMPRESSION");
	assert_string_equal(v, "gzip");
	free(v);
	/* every placeholder filled */
	run[hsize] = '\0';
	assert_null(strstr(run, "@SHA256@"));
	assert_null(strstr(run, "@HEADER_SIZE@"));
	assert_null(strstr(run, "@NAME@"));

	assert_int_equal(stat(f->run, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	free(run);
	free(tar);
}

static void test_same_bytes(void **state)
{
	struct fixture *f = *state;
	char *again = path_join(f->tmp, "again.run");
	char *a, *b;
	size_t alen, blen;
	struct rb_error err;

	assert_int_equal(rb_write_executable(f->tarball, again, "demo", "0.1.0", &err), 0);
	a = test_slurp(f->run, &alen);
	b = test_slurp(again, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(b);
	/* written over: the same again */
	assert_int_equal(rb_write_executable(f->tarball, again, "demo", "0.1.0", &err), 0);
	b = test_slurp(again, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	free(again);
}

/* Nothing in dir but the names given (NULL-terminated). */
static void assert_dir_holds(const char *dir, const char *const *names)
{
	struct strvec found = STRVEC_INIT;
	struct rb_error err;
	size_t n = 0;

	assert_int_equal(list_dir(dir, &found, &err), 0);
	for (; names[n]; n++)
		assert_true(strvec_contains(&found, names[n]));
	if (found.nr != n)
		fail_msg("'%s' holds %zu entries, not %zu (first: %s)", dir,
			 found.nr, n, found.v[0]);
	strvec_clear(&found);
}

static void test_fields_and_errors(void **state)
{
	struct fixture *f = *state;
	char *zst = path_join(f->tmp, "x.tar.zst"), *plain = path_join(f->tmp, "x.tar");
	char *zip = path_join(f->tmp, "x.zip"), *out = path_join(f->tmp, "x.run");
	char *nodir = path_join(f->tmp, "no/such/dir/x.run");
	char *missing = path_join(f->tmp, "missing.tar.gz");
	char *text, *v;
	struct rb_error err;

	test_put(f->tmp, "x.tar.zst", "not really zstd", 0644);
	test_put(f->tmp, "x.tar", "not really tar", 0644);
	test_put(f->tmp, "x.zip", "zip", 0644);

	assert_int_equal(rb_write_executable(zst, out, "it's", "1.0", &err), 0);
	text = test_slurp(out, NULL);
	v = header_value(text, "RB_RUN_COMPRESSION");
	assert_string_equal(v, "zstd");
	free(v);
	/* a quote in a name stays one sh word */
	v = header_value(text, "RB_RUN_NAME");
	assert_string_equal(v, "'it'\\''s'");
	free(v);
	free(text);

	assert_int_equal(rb_write_executable(plain, out, "demo", "1.0", &err), 0);
	text = test_slurp(out, NULL);
	v = header_value(text, "RB_RUN_COMPRESSION");
	assert_string_equal(v, "none");
	free(v);
	free(text);

	assert_int_equal(rb_write_executable(zip, out, "demo", "1.0", &err), -1);
	assert_non_null(strstr(err.msg, "x.zip"));
	assert_int_equal(rb_write_executable(plain, out, "a/b", "1.0", &err), -1);
	assert_non_null(strstr(err.msg, "a/b"));
	assert_int_equal(rb_write_executable(plain, out, "demo", "..", &err), -1);
	assert_int_equal(rb_write_executable(missing, out, "demo", "1.0", &err), -1);
	assert_non_null(strstr(err.msg, "missing.tar.gz"));
	assert_int_equal(rb_write_executable(f->tmp, out, "demo", "1.tar", &err), -1);
	assert_int_equal(rb_write_executable(plain, nodir, "demo", "1.0", &err), -1);
	assert_non_null(strstr(err.msg, "no/such/dir"));
	/* no temporary file left behind by any of them */
	assert_dir_holds(f->tmp, (const char *const[]){ "rel", "demo-0.1.0.run",
		"x.tar.zst", "x.tar", "x.zip", "x.run", NULL });
	free(zst);
	free(plain);
	free(zip);
	free(out);
	free(nodir);
	free(missing);
}

/*
 * Run argv (argv[0] a path) with exactly env, from dir tmp/work; its
 * output in *out and *errout (either may be NULL).  Returns the exit
 * status, 128 + the signal that killed it.
 */
static int run(const struct fixture *f, const char *const *argv,
	       const char *const *env, char **out, char **errout)
{
	char *work = path_join(f->tmp, "work");
	char *o = path_join(f->tmp, "stdout"), *e = path_join(f->tmp, "stderr");
	int status;
	pid_t pid;

	mkdir(work, 0755);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0 ||
		    chdir(work) < 0)
			_exit(126);
		execve(argv[0], (char *const *)argv, (char *const *)env);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	if (out)
		*out = test_slurp(o, NULL);
	if (errout)
		*errout = test_slurp(e, NULL);
	free(work);
	free(o);
	free(e);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The shells the header must run under: dash, busybox sh, bash. */
struct shell {
	const char *name;
	char *argv0;
	const char *arg; /* "sh" for busybox, else NULL */
};

static size_t shells(struct shell sh[3])
{
	size_t n = 0;

	sh[n++] = (struct shell){ "dash", which("dash"), NULL };
	sh[n++] = (struct shell){ "busybox sh", which("busybox"), "sh" };
	sh[n++] = (struct shell){ "bash", which("bash"), NULL };
	for (size_t i = 0; i < n; i++)
		if (!sh[i].argv0)
			fail_msg("%s is not installed (scripts/setup.sh installs it)",
				 sh[i].name);
	return n;
}

static void shells_release(struct shell *sh, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(sh[i].argv0);
}

/* run() of the file under sh with up to 6 more arguments. */
static int run_under(const struct fixture *f, const struct shell *sh,
		     const char *file, const char *const *args,
		     const char *const *env, char **out, char **errout)
{
	const char *argv[10];
	size_t n = 0;

	argv[n++] = sh->argv0;
	if (sh->arg)
		argv[n++] = sh->arg;
	argv[n++] = file;
	for (size_t i = 0; args && args[i] && n < 9; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return run(f, argv, env, out, errout);
}

/* Invert the low bit of the byte at off: a change for sure. */
static void flip(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, off), 1);
	c ^= 1;
	assert_int_equal(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

/* A copy of the fixture's run file as tmp/bad.run; its length. */
static size_t copy_run(const struct fixture *f, const char *bad)
{
	struct rb_error err;
	size_t len;
	char *data = test_slurp(f->run, &len);

	assert_int_equal(write_file(bad, data, len, 0755, &err), 0);
	free(data);
	return len;
}

static void test_runs_from_cache(void **state)
{
	struct fixture *f = *state;
	struct shell sh[3];
	size_t nsh = shells(sh);
	char *xdg = xasprintf("XDG_CACHE_HOME=%s", f->cache);
	char *home = xasprintf("HOME=%s/home", f->tmp);
	const char *env[] = { "PATH=/usr/bin:/bin", home, xdg, "DEMO_EXIT=3", NULL };
	const char *args[] = { "a", "b c", "", "*", "--extract-only", NULL };
	char *want = xasprintf("root=%s\n[a]\n[b c]\n[]\n[*]\n[--extract-only]\n", f->home);
	char *marker = path_join(f->home, "marker");
	char *parent = path_dir(f->home);
	char *relbuild = xasprintf("%s/relbuild", f->cache);
	char *bad = path_join(f->tmp, "bad.run");
	size_t len = copy_run(f, bad);

	for (size_t i = 0; i < nsh; i++) {
		char *out, *errout;
		struct stat st1, st2;

		remove_tree(f->cache, NULL);
		/* first run: checks, extracts, runs bin/demo with the arguments */
		assert_int_equal(run_under(f, &sh[i], f->run, args, env, &out, &errout), 3);
		if (strcmp(out, want))
			fail_msg("%s: output '%s', expected '%s' (stderr: %s)", sh[i].name,
				 out, want, errout);
		assert_string_equal(errout, "");
		free(out);
		free(errout);
		/* private, as relbuild's own cache; nothing but the release there */
		assert_int_equal(stat(relbuild, &st1), 0);
		assert_int_equal(st1.st_mode & 0777, 0700);
		assert_int_equal(stat(f->home, &st1), 0);
		assert_int_equal(st1.st_mode & 0777, 0700);
		assert_dir_holds(parent, (const char *const[]){ strrchr(f->home, '/') + 1, NULL });
		test_put(f->home, "marker", "", 0644);

		/* second run: the same directory, not extracted again */
		assert_int_equal(run_under(f, &sh[i], f->run, args, env, &out, NULL), 3);
		assert_string_equal(out, want);
		free(out);
		assert_int_equal(stat(f->home, &st2), 0);
		assert_int_equal(st1.st_ino, st2.st_ino);
		assert_true(path_exists(marker));

		/*
		 * A run that finds its directory neither checks nor reads the
		 * tarball again (as documented): a copy damaged there runs too.
		 */
		copy_run(f, bad);
		flip(bad, (off_t)(len - 100));
		assert_int_equal(run_under(f, &sh[i], bad, args, env, &out, NULL), 3);
		assert_string_equal(out, want);
		free(out);
	}
	shells_release(sh, nsh);
	free(xdg);
	free(home);
	free(want);
	free(marker);
	free(parent);
	free(relbuild);
	free(bad);
}

static void test_cache_location(void **state)
{
	struct fixture *f = *state;
	struct shell sh[3];
	size_t nsh = shells(sh);
	char *home = xasprintf("HOME=%s/home", f->tmp);
	char *in_home = xasprintf("%s/home/.cache/relbuild/demo", f->tmp);
	/* a relative XDG_CACHE_HOME is ignored, as the spec says */
	const char *env[] = { "PATH=/usr/bin:/bin", home, "XDG_CACHE_HOME=cache", NULL };
	const char *no_home[] = { "PATH=/usr/bin:/bin", NULL };
	const char *args[] = { "x", NULL };
	char *errout;

	for (size_t i = 0; i < nsh; i++) {
		remove_tree(in_home, NULL);
		assert_int_equal(run_under(f, &sh[i], f->run, args, env, NULL, NULL), 0);
		assert_true(is_dir(in_home));
		assert_int_equal(run_under(f, &sh[i], f->run, args, no_home, NULL, &errout), 1);
		assert_non_null(strstr(errout, "no cache directory"));
		free(errout);
	}
	shells_release(sh, nsh);
	free(home);
	free(in_home);
}

/* dir holds the fixture's release, file for file, and has mode mode. */
static void assert_tree_is_release(const char *dir, mode_t mode)
{
	struct rb_verify_result res;
	struct rb_error err;
	struct stat st;

	rb_verify_result_init(&res);
	if (rb_verify_dir(dir, "0.1.0", &res, &err) < 0)
		fail_msg("%s", err.msg);
	if (res.nr_problems)
		fail_msg("'%s' differs from the release: %s", dir, res.problems[0].path);
	assert_true(res.modes);
	assert_int_equal(res.nr_files, 7); /* 5 files, demo.rel, MODES */
	rb_verify_result_release(&res);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, mode);
}

static void test_extract_only(void **state)
{
	struct fixture *f = *state;
	struct shell sh[3];
	size_t nsh = shells(sh);
	char *xdg = xasprintf("XDG_CACHE_HOME=%s", f->cache);
	const char *env[] = { "PATH=/usr/bin:/bin", xdg, NULL };
	char *dir = path_join(f->tmp, "out"), *sub = path_join(f->tmp, "work/sub");
	char *full = path_join(f->tmp, "full"), *work = path_join(f->tmp, "work");
	char *out, *errout;

	mode_t old = umask(022);
	test_put(f->tmp, "full/keep", "", 0644);
	for (size_t i = 0; i < nsh; i++) {
		const char *to_dir[] = { "--extract-only", dir, NULL };
		const char *to_rel[] = { "--extract-only", "sub/", NULL };
		const char *to_full[] = { "--extract-only", full, NULL };
		const char *bad[][4] = {
			{ "--extract-only", NULL },
			{ "--extract-only", "", NULL },
			{ "--extract-only", "a", "b", NULL },
		};

		/* absent */
		remove_tree(dir, NULL);
		assert_int_equal(run_under(f, &sh[i], f->run, to_dir, env, &out, NULL), 0);
		assert_non_null(strstr(out, "extracted demo 0.1.0 into"));
		free(out);
		assert_tree_is_release(dir, 0755); /* as the umask says */
		/* an empty directory, named relative to the working directory */
		remove_tree(sub, NULL);
		assert_int_equal(mkdir(sub, 0755), 0);
		assert_int_equal(run_under(f, &sh[i], f->run, to_rel, env, NULL, NULL), 0);
		assert_tree_is_release(sub, 0755);
		/* not empty: refused, left as it was */
		assert_int_equal(run_under(f, &sh[i], f->run, to_full, env, NULL, &errout), 1);
		assert_non_null(strstr(errout, "is not an empty directory"));
		free(errout);
		assert_dir_holds(full, (const char *const[]){ "keep", NULL });
		for (size_t b = 0; b < 3; b++) {
			assert_int_equal(run_under(f, &sh[i], f->run, bad[b], env, NULL, &errout), 2);
			assert_non_null(strstr(errout, "usage:"));
			free(errout);
		}
		/* the cache is not touched; nothing left beside the targets */
		assert_false(path_exists(f->cache));
		assert_dir_holds(f->tmp, (const char *const[]){ "rel", "demo-0.1.0.run",
			"work", "out", "full", "stdout", "stderr", NULL });
		assert_dir_holds(work, (const char *const[]){ "sub", NULL });
	}
	umask(old);
	shells_release(sh, nsh);
	free(xdg);
	free(dir);
	free(sub);
	free(full);
	free(work);
}

static void test_damage_refused(void **state)
{
	struct fixture *f = *state;
	struct shell sh[3];
	size_t nsh = shells(sh);
	char *xdg = xasprintf("XDG_CACHE_HOME=%s", f->cache);
	const char *env[] = { "PATH=/usr/bin:/bin", xdg, NULL };
	char *bad = path_join(f->tmp, "bad.run"), *dir = path_join(f->tmp, "out");
	char *text = test_slurp(f->run, NULL);
	long hsize = header_size(text);
	size_t len = copy_run(f, bad);
	/* line 1, a digit of the sum, its quote, a comment, a variable, the
	 * last header byte, the payload's first, middle and last bytes */
	const off_t offsets[] = { 2, RB_RUN_SUM_AT + 3, RB_RUN_SUM_AT + 64, 120,
		strstr(text, "RB_RUN_HEADER_SIZE=") - text + 20, hsize - 1, hsize,
		hsize + (off_t)(len - hsize) / 2, (off_t)len - 1 };

	for (size_t i = 0; i < nsh; i++) {
		const char *to_dir[] = { "--extract-only", dir, NULL };
		const char *args[] = { "x", NULL };

		for (size_t o = 0; o < sizeof(offsets) / sizeof(*offsets); o++) {
			char *errout;
			int status;

			copy_run(f, bad);
			flip(bad, offsets[o]);
			status = run_under(f, &sh[i], bad, args, env, NULL, &errout);
			if (!status || !*errout || path_exists(f->cache))
				fail_msg("%s: a byte changed at %lld: exit %d, stderr '%s', cache %s",
					 sh[i].name, (long long)offsets[o], status, errout,
					 path_exists(f->cache) ? "made" : "absent");
			free(errout);
			status = run_under(f, &sh[i], bad, to_dir, env, NULL, NULL);
			assert_int_not_equal(status, 0);
			assert_false(path_exists(dir));
		}
		/* the message names the file and says what happened */
		copy_run(f, bad);
		flip(bad, hsize + 10);
		{
			char *errout;

			assert_int_equal(run_under(f, &sh[i], bad, args, env, NULL, &errout), 1);
			assert_non_null(strstr(errout, "bad.run: damaged: its SHA-256 is "));
			assert_non_null(strstr(errout, "nothing was extracted"));
			free(errout);
		}
		/* one byte short, one byte more */
		assert_int_equal(truncate(bad, (off_t)len - 1), 0);
		{
			char *errout;

			assert_int_equal(run_under(f, &sh[i], bad, args, env, NULL, &errout), 1);
			assert_non_null(strstr(errout, "truncated or appended to"));
			free(errout);
		}
		copy_run(f, bad);
		{
			FILE *fp = fopen(bad, "a");

			assert_non_null(fp);
			fputc('\n', fp);
			fclose(fp);
		}
		assert_int_equal(run_under(f, &sh[i], bad, args, env, NULL, NULL), 1);
		assert_false(path_exists(f->cache));
	}
	shells_release(sh, nsh);
	free(xdg);
	free(bad);
	free(dir);
	free(text);
}

/*
 * Bytes of the header changed one at a time, under dash: never a run of
 * bin/demo, never an extraction.  A change in the header's code may stop
 * the shell on a syntax error rather than at the check, or (an "exit 1"
 * made "exit 0") refuse with status 0; either way nothing is written.
 * Every 29th byte (a prime: each falls at another place in its line),
 * or with RB_TEST_EVERY_BYTE=1 in the environment all of them, which
 * takes minutes: each run is a shell and four tools.
 */
static void test_header_bytes(void **state)
{
	struct fixture *f = *state;
	char *dash = which("dash");
	char *xdg = xasprintf("XDG_CACHE_HOME=%s", f->cache);
	const char *env[] = { "PATH=/usr/bin:/bin", xdg, NULL };
	char *bad = path_join(f->tmp, "bad.run");
	char *text = test_slurp(f->run, NULL);
	long hsize = header_size(text);
	const char *every = getenv("RB_TEST_EVERY_BYTE");
	long stride = every && !strcmp(every, "1") ? 1 : 29;
	char *orig;
	size_t len;

	assert_non_null(dash);
	copy_run(f, bad);
	orig = test_slurp(bad, &len);
	for (long off = 0; off < hsize; off += stride) {
		const char *argv[] = { dash, bad, "x", NULL };
		int fd = open(bad, O_WRONLY), status;
		unsigned char c = (unsigned char)orig[off] ^ 1;
		char *out;

		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, &c, 1, off), 1);
		close(fd);
		status = run(f, argv, env, &out, NULL);
		if (strstr(out, "root=") || path_exists(f->cache))
			fail_msg("a byte changed at %ld ('%c' to '%c'): exit %d, %s, cache %s",
				 off, orig[off], c, status,
				 strstr(out, "root=") ? "ran" : "did not run",
				 path_exists(f->cache) ? "made" : "absent");
		free(out);
		fd = open(bad, O_WRONLY);
		assert_int_equal(pwrite(fd, orig + off, 1, off), 1);
		close(fd);
	}
	free(orig);
	free(dash);
	free(xdg);
	free(bad);
	free(text);
}

/* A directory of links to the tools the header uses, and maybe to one sum tool. */
static char *tool_dir(const struct fixture *f, const char *name, const char *sum)
{
	static const char *const tools[] = {
		"cat", "chmod", "dd", "dirname", "gzip", "ls", "mkdir", "mktemp", "mv",
		"rm", "tail", "tar", "wc", NULL,
	};
	char *dir = path_join(f->tmp, name);
	struct rb_error err;

	assert_int_equal(mkdir_p(dir, &err), 0);
	for (size_t i = 0; tools[i] || sum; i++) {
		const char *t = tools[i] ? tools[i] : sum;
		char *from = which(t), *to = path_join(dir, t);

		assert_non_null(from);
		assert_int_equal(symlink(from, to), 0);
		free(from);
		free(to);
		if (!tools[i])
			break;
	}
	return dir;
}

static void test_sum_tools(void **state)
{
	struct fixture *f = *state;
	char *dash = which("dash");
	char *xdg = xasprintf("XDG_CACHE_HOME=%s", f->cache);
	const char *sums[] = { "sha256sum", "shasum", "openssl", NULL };
	char *none = tool_dir(f, "none", NULL);
	char *path = xasprintf("PATH=%s", none);
	const char *env[] = { path, xdg, NULL };
	const char *argv[] = { dash, f->run, "x", NULL };
	char *errout;

	assert_non_null(dash);
	/* none of them: refused before anything is written */
	assert_int_equal(run(f, argv, env, NULL, &errout), 1);
	assert_non_null(strstr(errout, "none of sha256sum, shasum or openssl is installed"));
	free(errout);
	assert_false(path_exists(f->cache));
	free(path);
	/* each alone is enough */
	for (size_t i = 0; sums[i]; i++) {
		char *name = xasprintf("only-%s", sums[i]);
		char *dir = tool_dir(f, name, sums[i]);
		char *out;

		path = xasprintf("PATH=%s", dir);
		env[0] = path;
		remove_tree(f->cache, NULL);
		assert_int_equal(run(f, argv, env, &out, &errout), 0);
		if (!strstr(out, "[x]"))
			fail_msg("with only %s: '%s' '%s'", sums[i], out, errout);
		free(out);
		free(errout);
		free(path);
		free(dir);
		free(name);
	}
	free(none);
	free(dash);
	free(xdg);
}

/*
 * The file written to while it is extracted (a deploy copying a new one
 * over it): tar, here a wrapper that changes a byte of the tarball part
 * first, extracts what was not checked; the check after it refuses, and
 * nothing is left in the cache.
 */
static void test_changed_while_extracted(void **state)
{
	struct fixture *f = *state;
	char *dash = which("dash"), *tar = which("tar");
	char *xdg = xasprintf("XDG_CACHE_HOME=%s", f->cache);
	char *bad = path_join(f->tmp, "bad.run"), *tools = path_join(f->tmp, "tools");
	char *path = xasprintf("PATH=%s:/usr/bin:/bin", tools);
	const char *env[] = { path, xdg, NULL };
	const char *argv[] = { dash, bad, "x", NULL };
	char *parent = path_dir(f->home), *wrapper, *errout, *out;
	size_t len = copy_run(f, bad);
	off_t at = (off_t)len - 200;
	unsigned char c, now;
	int fd = open(bad, O_RDONLY);

	assert_non_null(dash);
	assert_non_null(tar);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, at), 1);
	close(fd);
	wrapper = xasprintf("#!/bin/sh\n"
			    "printf '\\%03o' | dd of='%s' bs=1 seek=%lld conv=notrunc 2>/dev/null\n"
			    "exec '%s' \"$@\"\n",
			    c ^ 1, bad, (long long)at, tar);
	test_put(tools, "tar", wrapper, 0755);
	assert_int_equal(run(f, argv, env, &out, &errout), 1);
	assert_string_equal(out, "");
	assert_non_null(strstr(errout, "damaged"));
	assert_false(path_exists(f->home));
	assert_dir_holds(parent, (const char *const[]){ NULL });
	/* the wrapper did change the file */
	fd = open(bad, O_RDONLY);
	assert_int_equal(pread(fd, &now, 1, at), 1);
	close(fd);
	assert_int_equal(now, c ^ 1);
	free(out);
	free(errout);
	free(wrapper);
	free(parent);
	free(path);
	free(tools);
	free(bad);
	free(xdg);
	free(tar);
	free(dash);
}

/* Four runs at once on an empty cache: all run, one directory, no debris. */
static void test_concurrent_runs(void **state)
{
	struct fixture *f = *state;
	char *dash = which("dash"), *busybox = which("busybox");
	char *xdg = xasprintf("XDG_CACHE_HOME=%s", f->cache);
	char *const env[] = { "PATH=/usr/bin:/bin", xdg, NULL };
	char *parent = path_dir(f->home);
	pid_t pids[4];

	for (int round = 0; round < 5; round++) {
		remove_tree(f->cache, NULL);
		for (int i = 0; i < 4; i++) {
			char *const argv_dash[] = { dash, f->run, "x", NULL };
			char *const argv_bb[] = { busybox, "sh", f->run, "x", NULL };

			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (!pids[i]) {
				int null = open("/dev/null", O_WRONLY);

				dup2(null, 1);
				execve(i % 2 ? busybox : dash, i % 2 ? argv_bb : argv_dash, env);
				_exit(127);
			}
		}
		for (int i = 0; i < 4; i++) {
			int status;

			while (waitpid(pids[i], &status, 0) < 0)
				;
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		assert_dir_holds(parent, (const char *const[]){ strrchr(f->home, '/') + 1, NULL });
		assert_tree_is_release(f->home, 0700);
	}
	free(dash);
	free(busybox);
	free(xdg);
	free(parent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fields_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs_from_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_location, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extract_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sum_tools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_while_extracted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_runs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
