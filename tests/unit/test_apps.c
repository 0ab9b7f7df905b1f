#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apps.h"
#include "util.h"

struct fixture {
	char *root;       /* the temp dir, real path */
	struct strvec libs; /* project, elixir, otp */
	struct rb_app_index idx;
	struct rb_app_list out;
	struct rb_error err;
};

static void write_text(const char *path, const char *text)
{
	char *dir = xstrdup(path);
	struct rb_error err = { 0 };

	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, &err), 0);
	assert_int_equal(write_file(path, text, strlen(text), 0644, &err), 0);
	free(dir);
}

/*
 * lib/dirname/ebin/name.app with the given lists (Erlang syntax, e.g.
 * "[kernel,stdlib]"; NULL leaves the key out).
 */
static void make_app(const char *lib, const char *dirname, const char *name,
		     const char *vsn, const char *apps, const char *included,
		     const char *optional)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/%s/ebin/%s.app", lib, dirname, name);

	sb_addf(&sb, "{application,%s,\n [{description,\"%s app\"},\n  {vsn,\"%s\"},\n  {modules,[%s_app]}",
		name, name, vsn, name);
	if (apps)
		sb_addf(&sb, ",\n  {applications,%s}", apps);
	if (included)
		sb_addf(&sb, ",\n  {included_applications,%s}", included);
	if (optional)
		sb_addf(&sb, ",\n  {optional_applications,%s}", optional);
	sb_adds(&sb, "]}.\n");
	write_text(path, sb.buf);
	sb_release(&sb);
	free(path);
}

static const char *lib(struct fixture *f, size_t i)
{
	return f->libs.v[i];
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/test_apps.XXXXXX";
	char real[PATH_MAX];

	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, real));
	f->root = xstrdup(real);
	strvec_pushf(&f->libs, "%s/_build/prod/lib", f->root);
	strvec_pushf(&f->libs, "%s/elixir/lib", f->root);
	strvec_pushf(&f->libs, "%s/otp/lib", f->root);
	rb_app_index_init(&f->idx);
	rb_app_list_init(&f->out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err = { 0 };

	rb_app_list_release(&f->out);
	rb_app_index_release(&f->idx);
	remove_tree(f->root, &err);
	free(f->root);
	strvec_clear(&f->libs);
	free(f);
	return 0;
}

/* The OTP and Elixir basics most fixtures need. */
static void make_base(struct fixture *f)
{
	make_app(lib(f, 2), "kernel-8.5.3", "kernel", "8.5.3", "[]", NULL, NULL);
	make_app(lib(f, 2), "stdlib-4.2", "stdlib", "4.2", "[kernel]", NULL, NULL);
	make_app(lib(f, 2), "sasl-4.2", "sasl", "4.2", "[kernel,stdlib]", NULL, NULL);
	make_app(lib(f, 1), "elixir", "elixir", "1.14.0", "[kernel,stdlib,compiler]", NULL, NULL);
	make_app(lib(f, 2), "compiler-8.2.3", "compiler", "8.2.3", "[kernel,stdlib]", NULL, NULL);
	make_app(lib(f, 1), "logger", "logger", "1.14.0", "[kernel,stdlib,elixir]", NULL, NULL);
}

static void discover(struct fixture *f)
{
	if (rb_apps_discover(&f->idx, &f->libs, &f->err) < 0) {
		print_error("%s\n", f->err.msg);
		fail();
	}
}

static struct rb_app_ref ref(const char *name)
{
	struct rb_app_ref r = { .name = (char *)name, .type = RB_START_PERMANENT };

	return r;
}

static struct rb_app_ref typed(const char *name, enum rb_start_type t)
{
	struct rb_app_ref r = { .name = (char *)name, .type = t, .has_type = 1 };

	return r;
}

static int closure(struct fixture *f, const struct rb_app_ref *roots, size_t n,
		   const char *hint)
{
	rb_app_list_release(&f->out);
	return rb_apps_closure(&f->idx, roots, n, NULL, hint, &f->out, &f->err);
}

/* The closure's names joined with spaces, each with its start type. */
static char *closure_text(const struct fixture *f)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < f->out.nr; i++)
		sb_addf(&sb, "%s%s:%s", i ? " " : "", f->out.v[i].name,
			rb_start_type_name(f->out.v[i].type));
	return sb_detach(&sb);
}

#define assert_closure(f, want) do {                            \
		char *got_ = closure_text(f);                   \
		assert_string_equal(got_, (want));              \
		free(got_);                                     \
	} while (0)

static void test_discover(void **state)
{
	struct fixture *f = *state;
	const struct rb_app *a;
	char *p, *q;

	make_base(f);
	make_app(lib(f, 0), "shop", "shop", "0.1.0", "[kernel,stdlib,elixir,logger]", NULL, NULL);
	/* Two versions in one directory: which one is a guess, an error when needed. */
	make_app(lib(f, 2), "twin-1.10", "twin", "1.10", "[]", NULL, NULL);
	make_app(lib(f, 2), "twin-1.9.1", "twin", "1.9.1", "[]", NULL, NULL);
	/* Earlier directories win, even with a lower version. */
	make_app(lib(f, 0), "jason", "jason", "1.0.0", "[kernel,stdlib]", NULL, NULL);
	make_app(lib(f, 2), "jason-9.9.9", "jason", "9.9.9", "[kernel,stdlib]", NULL, NULL);
	/* A directory named differently from its app, with one .app. */
	make_app(lib(f, 0), "odd_dir", "plug", "1.2.3", "[kernel]", NULL, NULL);
	/* Symlinked application directories are followed. */
	make_app(f->root, "elsewhere/linked-2.0", "linked", "2.0", "[kernel]", NULL, NULL);
	p = xasprintf("%s/elsewhere/linked-2.0", f->root);
	q = xasprintf("%s/linked", lib(f, 0));
	assert_int_equal(symlink(p, q), 0);
	free(p);
	free(q);
	/* Things that are not applications are ignored. */
	p = xasprintf("%s/notes.txt", lib(f, 0));
	write_text(p, "hello");
	free(p);
	p = xasprintf("%s/no_ebin/src/x.erl", lib(f, 0));
	write_text(p, "-module(x).");
	free(p);
	p = xasprintf("%s/.hidden/ebin/hidden.app", lib(f, 0));
	write_text(p, "{application,hidden,[{vsn,\"1\"}]}.");
	free(p);

	discover(f);
	assert_int_equal(f->idx.lib_dirs.nr, 3);
	assert_string_equal(f->idx.lib_dirs.v[0], lib(f, 0));
	assert_int_equal(f->idx.bad_names.nr, 1);
	assert_null(rb_app_index_find(&f->idx, "twin"));
	{
		struct rb_app_ref roots[1] = { ref("twin") };
		char *want = xasprintf("%s/twin-1.10 and %s/twin-1.9.1: two versions of application 'twin' (1.10, 1.9.1) in one directory; keep one",
				       lib(f, 2), lib(f, 2));

		assert_int_equal(closure(f, roots, 1, NULL), -1);
		assert_string_equal(f->err.msg, want);
		free(want);
	}

	a = rb_app_index_find(&f->idx, "kernel");
	assert_non_null(a);
	assert_string_equal(a->vsn, "8.5.3");
	p = xasprintf("%s/kernel-8.5.3", lib(f, 2));
	assert_string_equal(a->dir, p);
	free(p);

	a = rb_app_index_find(&f->idx, "jason");
	assert_string_equal(a->vsn, "1.0.0");

	a = rb_app_index_find(&f->idx, "plug");
	assert_non_null(a);
	assert_string_equal(a->vsn, "1.2.3");

	a = rb_app_index_find(&f->idx, "linked");
	assert_non_null(a);
	assert_string_equal(a->vsn, "2.0");
	p = xasprintf("%s/linked", lib(f, 0));
	assert_string_equal(a->dir, p);
	free(p);

	a = rb_app_index_find(&f->idx, "shop");
	assert_non_null(a);
	assert_string_equal(a->description, "shop app");
	assert_int_equal(a->applications.nr, 4);
	assert_string_equal(a->applications.v[3], "logger");
	assert_int_equal(a->modules.nr, 1);
	assert_string_equal(a->modules.v[0], "shop_app");
	assert_non_null(a->term);
	assert_true(has_suffix(a->app_file, "/shop/ebin/shop.app"));

	assert_null(rb_app_index_find(&f->idx, "hidden"));
	assert_null(rb_app_index_find(&f->idx, "no_ebin"));
	assert_null(rb_app_index_find(&f->idx, "notes.txt"));
	assert_null(rb_app_index_find(&f->idx, NULL));

	/* The index is sorted by name. */
	for (size_t i = 1; i < f->idx.apps.nr; i++)
		assert_true(strcmp(f->idx.apps.v[i - 1].name, f->idx.apps.v[i].name) < 0);
}

/* App dirs start with the lib directory as given, made absolute. */
static void test_lib_dir_paths(void **state)
{
	struct fixture *f = *state;
	struct strvec dirs = STRVEC_INIT;
	char oldcwd[PATH_MAX], *p, *q;

	make_app(f->root, "real/lib/a", "a", "1", "[]", NULL, NULL);
	make_app(f->root, "rel/lib/b-2", "b", "2", "[]", NULL, NULL);
	p = xasprintf("%s/real/lib", f->root);
	q = xasprintf("%s/linked_lib", f->root);
	assert_int_equal(symlink(p, q), 0);
	free(p);
	free(q);
	assert_non_null(getcwd(oldcwd, sizeof(oldcwd)));
	assert_int_equal(chdir(f->root), 0);
	strvec_push(&dirs, "linked_lib/");
	strvec_push(&dirs, "./rel/lib");
	assert_int_equal(rb_apps_discover(&f->idx, &dirs, &f->err), 0);
	assert_int_equal(chdir(oldcwd), 0);
	p = xasprintf("%s/linked_lib/a", f->root);
	assert_string_equal(rb_app_index_find(&f->idx, "a")->dir, p);
	free(p);
	p = xasprintf("%s/rel/lib/b-2", f->root);
	assert_string_equal(rb_app_index_find(&f->idx, "b")->dir, p);
	free(p);
	/* Messages name the directories as the caller gave them. */
	assert_string_equal(f->idx.lib_dirs.v[1], "./rel/lib");
	strvec_clear(&dirs);
}

/*
 * A lib directory that is itself an application directory (an erlang.mk
 * project's root, /usr/lib/yaws-2.1.1) is that one application, and its
 * other subdirectories (deps/, apps/) are not scanned through it.
 */
static void test_discover_app_dir(void **state)
{
	struct fixture *f = *state;
	struct strvec dirs = STRVEC_INIT;
	char *p;

	make_app(f->root, "hello", "hello", "1.2.0", "[]", NULL, NULL);
	make_app(f->root, "hello/deps/greet", "greet", "0.3.0", "[]", NULL, NULL);
	make_app(f->root, "yaws-2.1.1", "yaws", "2.1.1", "[]", NULL, NULL);
	strvec_pushf(&dirs, "%s/hello", f->root);
	strvec_pushf(&dirs, "%s/yaws-2.1.1", f->root);
	assert_int_equal(rb_apps_discover(&f->idx, &dirs, &f->err), 0);
	assert_int_equal(f->idx.apps.nr, 2);
	p = xasprintf("%s/hello", f->root);
	assert_string_equal(rb_app_index_find(&f->idx, "hello")->dir, p);
	free(p);
	assert_string_equal(rb_app_index_find(&f->idx, "yaws")->vsn, "2.1.1");
	assert_null(rb_app_index_find(&f->idx, "greet"));
	strvec_clear(&dirs);
}

static void test_missing_lib_dir(void **state)
{
	struct fixture *f = *state;

	/* No directory exists at all: nothing found, no error. */
	discover(f);
	assert_int_equal(f->idx.apps.nr, 0);
}

static void test_closure_order(void **state)
{
	struct fixture *f = *state;
	struct rb_app_ref roots[3];

	make_base(f);
	make_app(lib(f, 0), "shop", "shop", "0.1.0",
		 "[kernel,stdlib,elixir,logger,dep_a,jason]", "[inc]", "[jason]");
	make_app(lib(f, 0), "dep_a", "dep_a", "1.0.0", "[kernel,stdlib,dep_b]", NULL, NULL);
	make_app(lib(f, 0), "dep_b", "dep_b", "2.0.0", "[kernel,stdlib]", NULL, NULL);
	make_app(lib(f, 0), "inc", "inc", "0.0.1", "[kernel]", NULL, NULL);
	make_app(lib(f, 0), "tool", "tool", "1", "[kernel,tool_dep]", NULL, NULL);
	make_app(lib(f, 0), "tool_dep", "tool_dep", "1", NULL, NULL, NULL);
	discover(f);

	roots[0] = ref("shop");
	roots[1] = typed("tool", RB_START_LOAD);
	roots[2] = typed("sasl", RB_START_TEMPORARY);
	assert_int_equal(closure(f, roots, 3, "mix compile"), 0);
	/* jason is optional and missing: skipped. */
	assert_closure(f, "kernel:permanent stdlib:permanent compiler:permanent "
		       "elixir:permanent logger:permanent dep_b:permanent "
		       "dep_a:permanent inc:load shop:permanent tool_dep:load "
		       "tool:load sasl:temporary");
	/* The copies are complete and independent of the index. */
	assert_string_equal(f->out.v[8].vsn, "0.1.0");
	assert_int_equal(f->out.v[8].included_applications.nr, 1);
	assert_non_null(f->out.v[8].term);
	assert_ptr_not_equal(f->out.v[8].term, rb_app_index_find(&f->idx, "shop")->term);
	assert_non_null(rb_app_list_find(&f->out, "dep_b"));
	assert_null(rb_app_list_find(&f->out, "jason"));

	/* Same input, same output. */
	{
		char *first = closure_text(f), *second;

		assert_int_equal(closure(f, roots, 3, NULL), 0);
		second = closure_text(f);
		assert_string_equal(first, second);
		free(first);
		free(second);
	}

	/* An empty release still has kernel and stdlib. */
	assert_int_equal(closure(f, NULL, 0, NULL), 0);
	assert_closure(f, "kernel:permanent stdlib:permanent");
}

static void test_optional_present(void **state)
{
	struct fixture *f = *state;
	struct rb_app_ref roots[1];

	make_base(f);
	/* As Elixir >= 1.11 writes it: also in applications. */
	make_app(lib(f, 0), "shop", "shop", "0.1.0",
		 "[kernel,stdlib,jason,telemetry]", NULL, "[jason,telemetry]");
	make_app(lib(f, 0), "jason", "jason", "1.4.0", "[kernel,stdlib]", NULL, NULL);
	/* Only in optional_applications: still included when present. */
	make_app(lib(f, 0), "other", "other", "1", "[kernel]", NULL, "[jason]");
	discover(f);
	roots[0] = ref("shop");
	assert_int_equal(closure(f, roots, 1, NULL), 0);
	assert_closure(f, "kernel:permanent stdlib:permanent jason:permanent shop:permanent");
	roots[0] = ref("other");
	assert_int_equal(closure(f, roots, 1, NULL), 0);
	assert_closure(f, "kernel:permanent stdlib:permanent jason:permanent other:permanent");
}

static void test_start_types(void **state)
{
	struct fixture *f = *state;
	struct rb_app_ref roots[5];

	make_base(f);
	/* r1 default: its dep x is explicitly temporary, q reached also via r2. */
	make_app(lib(f, 0), "r1", "r1", "1", "[kernel,x,q]", "[m]", NULL);
	make_app(lib(f, 0), "r2", "r2", "1", "[kernel,y,q]", "[k]", NULL);
	make_app(lib(f, 0), "r3", "r3", "1", "[kernel,w]", "[n]", NULL);
	make_app(lib(f, 0), "r4", "r4", "1", "[kernel,v]", NULL, NULL);
	make_app(lib(f, 0), "x", "x", "1", "[kernel]", NULL, NULL);
	make_app(lib(f, 0), "y", "y", "1", "[kernel,z]", NULL, NULL);
	make_app(lib(f, 0), "z", "z", "1", "[kernel]", NULL, NULL);
	make_app(lib(f, 0), "q", "q", "1", "[kernel]", NULL, NULL);
	make_app(lib(f, 0), "w", "w", "1", "[kernel]", NULL, NULL);
	make_app(lib(f, 0), "v", "v", "1", "[kernel]", NULL, NULL);
	make_app(lib(f, 0), "m", "m", "1", "[kernel,m_dep]", NULL, NULL);
	make_app(lib(f, 0), "m_dep", "m_dep", "1", "[kernel]", NULL, NULL);
	make_app(lib(f, 0), "n", "n", "1", "[kernel]", NULL, NULL);
	make_app(lib(f, 0), "k", "k", "1", "[kernel]", NULL, NULL);
	discover(f);

	roots[0] = ref("r1");
	roots[1] = typed("r2", RB_START_LOAD);
	roots[2] = typed("r3", RB_START_NONE);
	roots[3] = typed("r4", RB_START_TRANSIENT);
	roots[4] = typed("x", RB_START_TEMPORARY);
	assert_int_equal(closure(f, roots, 5, NULL), 0);
	assert_closure(f, "kernel:permanent stdlib:permanent x:temporary "
		       "q:permanent m_dep:load m:load r1:permanent z:load y:load "
		       "k:load r2:load w:none n:none r3:none v:permanent "
		       "r4:transient");

	/* An explicit type wins over a stronger inherited one. */
	roots[0] = ref("r1");
	roots[1] = typed("q", RB_START_NONE);
	assert_int_equal(closure(f, roots, 2, NULL), 0);
	assert_closure(f, "kernel:permanent stdlib:permanent x:permanent "
		       "q:none m_dep:load m:load r1:permanent");

	/* kernel and stdlib are permanent whatever a dependent is. */
	roots[0] = typed("r3", RB_START_NONE);
	assert_int_equal(closure(f, roots, 1, NULL), 0);
	assert_closure(f, "kernel:permanent stdlib:permanent w:none n:none r3:none");

	roots[0] = typed("kernel", RB_START_LOAD);
	assert_int_equal(closure(f, roots, 1, NULL), -1);
	assert_int_equal(f->err.code, RB_ECONFIG);
	assert_string_equal(f->err.msg, "application 'kernel' must be permanent, not load");
	roots[0] = typed("stdlib", RB_START_PERMANENT);
	assert_int_equal(closure(f, roots, 1, NULL), 0);
}

static void test_missing(void **state)
{
	struct fixture *f = *state;
	struct rb_app_ref roots[2];
	char *want;

	make_base(f);
	make_app(lib(f, 0), "shop", "shop", "0.1.0", "[kernel,stdlib,dep_a]", NULL, NULL);
	make_app(lib(f, 0), "dep_a", "dep_a", "1", "[kernel,foo]", NULL, NULL);
	discover(f);

	roots[0] = ref("shop");
	assert_int_equal(closure(f, roots, 1, "mix compile"), -1);
	assert_int_equal(f->err.code, RB_EFAIL);
	want = xasprintf("%s/dep_a/ebin/dep_a.app:5:25: application 'foo' needed by 'dep_a' was not found (searched: %s, %s, %s)",
			 lib(f, 0), lib(f, 0), lib(f, 1), lib(f, 2));
	assert_string_equal(f->err.msg, want);
	free(want);

	roots[0] = ref("nope");
	assert_int_equal(closure(f, roots, 1, "MIX_ENV=prod mix compile"), -1);
	want = xasprintf("application 'nope' was not found (searched: %s, %s, %s); "
			 "has the project been compiled? run 'MIX_ENV=prod mix compile'",
			 lib(f, 0), lib(f, 1), lib(f, 2));
	assert_string_equal(f->err.msg, want);
	free(want);

	assert_int_equal(closure(f, roots, 1, NULL), -1);
	want = xasprintf("application 'nope' was not found (searched: %s, %s, %s)",
			 lib(f, 0), lib(f, 1), lib(f, 2));
	assert_string_equal(f->err.msg, want);
	free(want);

	/* A missing optional root is still an error: the config asked. */
	roots[0] = typed("jason", RB_START_LOAD);
	assert_int_equal(closure(f, roots, 1, NULL), -1);
	assert_non_null(strstr(f->err.msg, "application 'jason' was not found"));
}

static void test_missing_kernel(void **state)
{
	struct fixture *f = *state;
	struct rb_app_ref roots[1];
	char *want;

	make_app(lib(f, 0), "shop", "shop", "0.1.0", "[]", NULL, NULL);
	discover(f);
	roots[0] = ref("shop");
	assert_int_equal(closure(f, roots, 1, "rebar3 compile"), -1);
	/* No compile hint: compiling the project would not help. */
	want = xasprintf("application 'kernel' was not found (searched: %s, %s, %s)",
			 lib(f, 0), lib(f, 1), lib(f, 2));
	assert_string_equal(f->err.msg, want);
	free(want);
}

static void test_cycle(void **state)
{
	struct fixture *f = *state;
	struct rb_app_ref roots[1];
	char *want;

	make_base(f);
	make_app(lib(f, 0), "a", "a", "1", "[kernel,b]", NULL, NULL);
	make_app(lib(f, 0), "b", "b", "1", "[c]", NULL, NULL);
	make_app(lib(f, 0), "c", "c", "1", "[stdlib]", "[a]", NULL);
	make_app(lib(f, 0), "self", "self", "1", "[self]", NULL, NULL);
	discover(f);
	roots[0] = ref("a");
	assert_int_equal(closure(f, roots, 1, NULL), -1);
	want = xasprintf("%s/c/ebin/c.app:6:27: circular dependency between applications: 'a' -> 'b' -> 'c' -> 'a'",
			 lib(f, 0));
	assert_string_equal(f->err.msg, want);
	free(want);
	roots[0] = ref("self");
	assert_int_equal(closure(f, roots, 1, NULL), -1);
	want = xasprintf("%s/self/ebin/self.app:5:18: circular dependency between applications: 'self' -> 'self'",
			 lib(f, 0));
	assert_string_equal(f->err.msg, want);
	free(want);
}

static void test_bad_app_files(void **state)
{
	struct fixture *f = *state;
	struct rb_app_ref roots[1];
	char *p, *want;

	make_base(f);
	make_app(lib(f, 0), "shop", "shop", "0.1.0", "[kernel,broken]", NULL, NULL);
	p = xasprintf("%s/broken-1.0/ebin/broken.app", lib(f, 2));
	write_text(p, "{application, broken,\n  [{vsn, \"1.0\"} {x}]}.\n");
	free(p);
	/* A good version beside a broken one in the same directory wins. */
	p = xasprintf("%s/fine-1.0/ebin/fine.app", lib(f, 2));
	write_text(p, "{application, fine, [{vsn, 1}]}.\n");
	free(p);
	make_app(lib(f, 2), "fine-0.9", "fine", "0.9", "[kernel]", NULL, NULL);
	p = xasprintf("%s/wrong/ebin/wrong.app", lib(f, 0));
	write_text(p, "{application, right, [{vsn, \"1\"}]}.\n");
	free(p);
	p = xasprintf("%s/novsn/ebin/novsn.app", lib(f, 0));
	write_text(p, "{application, novsn, [{description, \"x\"}]}.\n");
	free(p);
	p = xasprintf("%s/badlist/ebin/badlist.app", lib(f, 0));
	write_text(p, "{application, badlist, [{vsn, \"1\"},\n {applications, [kernel, \"stdlib\"]}]}.\n");
	free(p);
	p = xasprintf("%s/notapp/ebin/notapp.app", lib(f, 0));
	write_text(p, "{app, notapp}.\n");
	free(p);

	/* Broken .app files do not fail discovery... */
	discover(f);
	assert_int_equal(f->idx.bad_names.nr, 5);
	assert_string_equal(rb_app_index_find(&f->idx, "fine")->vsn, "0.9");

	/* ...only a closure that needs them. */
	roots[0] = ref("shop");
	assert_int_equal(closure(f, roots, 1, NULL), -1);
	want = xasprintf("%s/broken-1.0/ebin/broken.app:2:17: expected ',' or ']' in list",
			 lib(f, 2));
	assert_string_equal(f->err.msg, want);
	free(want);

	roots[0] = ref("wrong");
	assert_int_equal(closure(f, roots, 1, NULL), -1);
	assert_true(has_suffix(f->err.msg, "/wrong/ebin/wrong.app:1:15: defines application 'right', expected 'wrong'"));
	roots[0] = ref("novsn");
	assert_int_equal(closure(f, roots, 1, NULL), -1);
	assert_true(has_suffix(f->err.msg, "/novsn/ebin/novsn.app:1:1: no {vsn, \"...\"} in application 'novsn'"));
	roots[0] = ref("badlist");
	assert_int_equal(closure(f, roots, 1, NULL), -1);
	assert_true(has_suffix(f->err.msg, "/badlist/ebin/badlist.app:2:17: 'applications' must be a list of atoms"));
	roots[0] = ref("notapp");
	assert_int_equal(closure(f, roots, 1, NULL), -1);
	assert_true(has_suffix(f->err.msg, "/notapp/ebin/notapp.app:1:1: not an application resource file (expected {application, Name, [...]})"));
}

static void test_app_read(void **state)
{
	struct fixture *f = *state;
	struct rb_app app, copy;
	struct rb_error err = { 0 };
	char *dir = xasprintf("%s/x", f->root);

	make_app(f->root, "x", "x", "1.0", "[kernel]", "[y]", "[z]");
	rb_app_init(&app);
	assert_int_equal(rb_app_read(&app, dir, "x", &err), 0);
	assert_string_equal(app.name, "x");
	assert_string_equal(app.vsn, "1.0");
	assert_string_equal(app.dir, dir);
	assert_string_equal(app.included_applications.v[0], "y");
	assert_string_equal(app.optional_applications.v[0], "z");
	rb_app_copy(&copy, &app);
	rb_app_release(&app);
	assert_string_equal(copy.included_applications.v[0], "y");
	rb_app_release(&copy);

	rb_app_init(&app);
	assert_int_equal(rb_app_read(&app, dir, "missing", &err), -1);
	assert_non_null(strstr(err.msg, "cannot open"));
	rb_app_release(&app);
	free(dir);
}

static void test_vsn_cmp(void **state)
{
	static const char *const ordered[] = {
		"0.9", "1.0.0-alpha", "1.0.0-beta", "1.0.0-rc.1", "1.0.0-rc.2",
		"1.0.0-rc.10", "1.0.0", "1.0.1", "1.2", "1.10", "1.10.0.1",
		"2.0", "8.5.3", "8.10", "10",
	};
	size_t n = sizeof(ordered) / sizeof(*ordered);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(rb_vsn_cmp(ordered[i], ordered[i]), 0);
		for (size_t j = i + 1; j < n; j++) {
			if (rb_vsn_cmp(ordered[i], ordered[j]) >= 0 ||
			    rb_vsn_cmp(ordered[j], ordered[i]) <= 0) {
				print_error("%s vs %s\n", ordered[i], ordered[j]);
				fail();
			}
		}
	}
	assert_int_equal(rb_vsn_cmp("1.01", "1.1"), 0);
	assert_true(rb_vsn_cmp("1.0", "1.0.0") < 0);
	assert_true(rb_vsn_cmp("12345678901234567890.1", "9.1") > 0);
}

/* The installed OTP and Elixir: every app found, a real closure works. */
static void test_real_otp(void **state)
{
	struct fixture *f = *state;
	struct strvec dirs = STRVEC_INIT;
	struct rb_app_ref roots[3];
	const struct rb_app *k;

	if (!is_dir("/usr/lib/erlang/lib"))
		skip();
	strvec_push(&dirs, "/usr/lib/elixir/lib");
	strvec_push(&dirs, "/usr/lib/erlang/lib");
	assert_int_equal(rb_apps_discover(&f->idx, &dirs, &f->err), 0);
	strvec_clear(&dirs);
	for (size_t i = 0; i < f->idx.bad_names.nr; i++)
		print_error("%s\n", f->idx.bad_errors.v[i]);
	assert_int_equal(f->idx.bad_names.nr, 0);
	k = rb_app_index_find(&f->idx, "kernel");
	assert_non_null(k);
	assert_true(has_prefix(k->dir, "/usr/lib/erlang/lib/kernel-"));
	assert_true(has_suffix(k->dir, k->vsn));

	roots[0] = ref("sasl");
	roots[1] = typed("runtime_tools", RB_START_LOAD);
	roots[2] = ref(rb_app_index_find(&f->idx, "logger") ? "logger" : "stdlib");
	assert_int_equal(closure(f, roots, 3, NULL), 0);
	assert_string_equal(f->out.v[0].name, "kernel");
	assert_string_equal(f->out.v[1].name, "stdlib");
	assert_int_equal(rb_app_list_find(&f->out, "runtime_tools")->type, RB_START_LOAD);
	assert_int_equal(rb_app_list_find(&f->out, "sasl")->type, RB_START_PERMANENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_discover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discover_app_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_lib_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lib_dir_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closure_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_optional_present, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_app_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_read, setup, teardown),
		cmocka_unit_test(test_vsn_cmp),
		cmocka_unit_test_setup_teardown(test_real_otp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
