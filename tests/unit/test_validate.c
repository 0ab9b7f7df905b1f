/* Unit tests for validate.c: what a build checks before it writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "helpers.h"
#include "term.h"
#include "util.h"
#include "validate.h"

struct fixture {
	char *tmp;     /* real path of a fresh directory */
	char *project; /* tmp/proj */
	char *outside; /* tmp/outside: a file no rule allows */
	struct strvec inside, allowed;
	struct rb_link_rules rules;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/rb-validate-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	f->tmp = realpath(tmpl, NULL);
	f->project = path_join(f->tmp, "proj");
	f->outside = path_join(f->tmp, "outside/secret");
	test_put(f->tmp, "outside/secret", "key\n", 0640);
	test_put(f->project, "app/priv/ok.txt", "ok\n", 0644);
	strvec_push(&f->inside, f->project);
	f->rules = (struct rb_link_rules){ f->project, &f->inside, &f->allowed,
					   "application 'app'" };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	remove_tree(f->tmp, NULL);
	strvec_clear(&f->inside);
	strvec_clear(&f->allowed);
	free(f->tmp);
	free(f->project);
	free(f->outside);
	free(f);
	return 0;
}

static int check(struct fixture *f, const char *rel, struct rb_error *err)
{
	char *path = path_join(f->project, rel);
	int r = rb_check_tree(&f->rules, path, err);

	free(path);
	return r;
}

static void link_at(struct fixture *f, const char *target, const char *rel)
{
	char *path = path_join(f->project, rel);

	assert_int_equal(symlink(target, path), 0);
	free(path);
}

static void test_links_inside(void **state)
{
	struct fixture *f = *state;
	struct rb_error err = { 0 };

	link_at(f, "ok.txt", "app/priv/alias");
	link_at(f, "../priv", "app/priv/up"); /* a loop through the parent */
	assert_int_equal(check(f, "app/priv", &err), -1);
	assert_string_equal(err.msg,
			    "app/priv/up: a symlink loop (links to '../priv', which holds it)");
	{
		char *p = path_join(f->project, "app/priv/up");

		unlink(p);
		free(p);
	}
	assert_int_equal(check(f, "app/priv", &err), 0);
}

static void test_link_outside_refused(void **state)
{
	struct fixture *f = *state;
	struct rb_error err = { 0 };
	char *want;

	link_at(f, f->outside, "app/priv/shadow");
	assert_int_equal(check(f, "app", &err), -1);
	assert_int_equal(err.code, RB_ECONFIG);
	want = xasprintf("app/priv/shadow: links to '%s', outside application 'app': not shipped; to ship it, list a directory above it in 'follow_links_under:'",
			 f->outside);
	assert_string_equal(err.msg, want);
	free(want);

	/* under an allowed root it is followed */
	{
		char *root = path_join(f->tmp, "outside");

		strvec_push(&f->allowed, root);
		free(root);
	}
	assert_int_equal(check(f, "app", &err), 0);
}

static void test_link_broken_and_loop(void **state)
{
	struct fixture *f = *state;
	struct rb_error err = { 0 };

	link_at(f, "nowhere", "app/priv/gone");
	assert_int_equal(check(f, "app/priv", &err), -1);
	assert_string_equal(err.msg, "app/priv/gone: links to 'nowhere', which does not exist");
	{
		char *p = path_join(f->project, "app/priv/gone");

		unlink(p);
		free(p);
	}
	link_at(f, "b", "app/priv/a");
	link_at(f, "a", "app/priv/b");
	assert_int_equal(check(f, "app/priv", &err), -1);
	assert_string_equal(err.msg, "app/priv/a: a symlink loop (links to 'b')");
}

static void test_special_files(void **state)
{
	struct fixture *f = *state;
	struct rb_error err = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *path = path_join(f->project, "app/priv/fifo");
	int fd;

	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(check(f, "app/priv", &err), -1);
	assert_string_equal(err.msg,
			    "app/priv/fifo: a FIFO; a release holds only files and directories");
	unlink(path);
	free(path);

	path = path_join(f->project, "app/priv/sock");
	assert_true(strlen(path) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(check(f, "app/priv", &err), -1);
	assert_string_equal(err.msg,
			    "app/priv/sock: a socket; a release holds only files and directories");
	close(fd);
	free(path);
}

static void test_app_keys(void **state)
{
	static const char good[] =
		"{application, a, [{description, \"A\"}, {vsn, \"1\"},\n"
		" {modules, []}, {registered, []}, {applications, [kernel]}]}.\n";
	static const char no_registered[] =
		"{application, a,\n  [{description, \"A\"}, {vsn, \"1\"},\n"
		"   {modules, []}, {applications, [kernel]}]}.\n";
	struct rb_app app;
	struct rb_error err = { 0 };
	struct rb_terms terms = RB_TERMS_INIT;

	(void)state;
	rb_app_init(&app);
	app.name = xstrdup("a");
	assert_int_equal(rb_term_parse_all(&terms, "a.app", good, strlen(good), &err), 0);
	app.term = terms.v[0];
	assert_int_equal(rb_check_app_keys(&app, "ebin/a.app", &err), 0);
	rb_term_free(app.term);
	terms.nr = 0;
	assert_int_equal(rb_term_parse_all(&terms, "a.app", no_registered,
					   strlen(no_registered), &err), 0);
	app.term = terms.v[0];
	assert_int_equal(rb_check_app_keys(&app, "ebin/a.app", &err), -1);
	assert_string_equal(err.msg,
			    "ebin/a.app:2:3: application 'a' has no 'registered' key; systools needs description, vsn, modules, registered and applications");
	terms.nr = 0;
	rb_terms_release(&terms);
	rb_app_release(&app);
}

static int sys_config(const char *text, struct rb_error *err)
{
	return rb_check_sys_config(text, strlen(text), "config/sys.config", err);
}

static void test_sys_config(void **state)
{
	struct rb_error err = { 0 };

	(void)state;
	assert_int_equal(sys_config("[{app, [{port, ${PORT}},\n"
				    "  {url, \"http://${HOST:-x}/\"}, {name, '${N}'},\n"
				    "  {bin, <<\"${B}\">>}]}, \"other.config\"]. % ${C}\n",
				    &err), 0);
	assert_int_equal(sys_config("[{app, []}, ${MORE}].", &err), 0);
	/* a placeholder is one unit inside quotes too, as bin.sh reads it */
	assert_int_equal(sys_config("[{app, [{s, \"${X:-a\"b}\"}, {c, $\"}]}].", &err), 0);

	assert_int_equal(sys_config("[{bad, [{x, 1}]}", &err), -1);
	assert_int_equal(err.code, RB_ECONFIG);
	assert_non_null(strstr(err.msg, "config/sys.config:1:"));
	assert_true(has_prefix(err.msg, "config/sys.config:1:"));

	assert_int_equal(sys_config("{app, []}.", &err), -1);
	assert_string_equal(err.msg,
			    "config/sys.config:1:1: not a list; sys.config holds [{Application, [{Key, Value}]}, …].");
	assert_int_equal(sys_config("[{app, []},\n {x, 1, 2}].", &err), -1);
	assert_string_equal(err.msg,
			    "config/sys.config:2:2: not {Application, [{Key, Value}]} nor the name of a config file");
	assert_int_equal(sys_config("[{app, [{port, ${PORT}}, {7, x}]}].", &err), -1);
	assert_string_equal(err.msg,
			    "config/sys.config:1:26: not a {Key, Value} pair with an atom for a key");
	assert_int_equal(sys_config("[]. [].", &err), -1);
	assert_string_equal(err.msg,
			    "config/sys.config:1:5: a second term; sys.config holds one list, ending in '.'");
	assert_int_equal(sys_config("% nothing\n", &err), -1);
	assert_true(has_prefix(err.msg, "config/sys.config:1:1: no term"));
}

static void test_vm_args(void **state)
{
	struct strvec warn = STRVEC_INIT;
	struct rb_error err = { 0 };
	const char *ok = "## comment\n-name a@127.0.0.1\n\n  +K true\n"
			 "-kernel inet_dist_listen_min 9100\n${EXTRA}\n";
	const char *bad = "-name a\n  name b\n";
	const char *plain = "-name a\n-setcookie secret\n";
	const char *placeholder = "-name a\n\n-setcookie ${RELEASE_COOKIE}\n";

	(void)state;
	assert_int_equal(rb_check_vm_args(ok, strlen(ok), "rel/vm.args", &warn, &err), 0);
	assert_int_equal(warn.nr, 0);
	assert_int_equal(rb_check_vm_args(bad, strlen(bad), "rel/vm.args", &warn, &err), -1);
	assert_true(has_prefix(err.msg, "rel/vm.args:2:3: 'name b' is not a flag"));
	assert_int_equal(rb_check_vm_args(plain, strlen(plain), "rel/vm.args", &warn, &err), 0);
	assert_int_equal(warn.nr, 1);
	assert_true(has_prefix(warn.v[0], "rel/vm.args:2: -setcookie with the cookie in plain text"));
	strvec_clear(&warn);
	/* from a placeholder it would still show in ps */
	assert_int_equal(rb_check_vm_args(placeholder, strlen(placeholder), "rel/vm.args", &warn, &err), 0);
	assert_int_equal(warn.nr, 1);
	assert_true(has_prefix(warn.v[0], "rel/vm.args:3: -setcookie puts the cookie on the VM's command line"));
	strvec_clear(&warn);
}

static void test_scripts(void **state)
{
	struct fixture *f = *state;
	struct rb_error err = { 0 };
	char *path;

	test_put(f->project, "hooks/ok.sh", "#!/bin/sh\necho ok\n", 0755);
	test_put(f->project, "hooks/bad.sh", "echo a\nif true; then\necho b\n", 0644);
	test_put(f->project, "hooks/py", "#!/usr/bin/env python3\nif (:\n", 0755);
	path = path_join(f->project, "hooks/ok.sh");
	assert_int_equal(rb_check_script(path, "rel/hooks/ok.sh", &err), 0);
	free(path);
	path = path_join(f->project, "hooks/py");
	assert_int_equal(rb_check_script(path, "rel/hooks/py", &err), 0);
	free(path);
	path = path_join(f->project, "hooks/bad.sh");
	assert_int_equal(rb_check_script(path, "rel/hooks/bad.sh", &err), -1);
	assert_int_equal(err.code, RB_ECONFIG);
	assert_true(has_prefix(err.msg, "rel/hooks/bad.sh:4: "));
	assert_non_null(strstr(err.msg, "(sh -n)"));
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_links_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_outside_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_broken_and_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_files, setup, teardown),
		cmocka_unit_test(test_app_keys),
		cmocka_unit_test(test_sys_config),
		cmocka_unit_test(test_vm_args),
		cmocka_unit_test_setup_teardown(test_scripts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
