#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "systemd.h"

static char *render_ok(const char *name, const char *root, const char *user,
		       const char *group)
{
	struct rb_systemd_unit u = { name, root, user, group };
	struct rb_error err = { 0 };
	char *text = NULL;

	if (rb_systemd_render(&u, &text, &err) < 0)
		fail_msg("unexpected error: %s", err.msg);
	assert_non_null(text);
	return text;
}

static void expect_render_error(const char *name, const char *root,
				const char *user, const char *group,
				const char *msg)
{
	struct rb_systemd_unit u = { name, root, user, group };
	struct rb_error err = { 0 };
	char unset;
	char *text = &unset;

	assert_int_equal(rb_systemd_render(&u, &text, &err), -1);
	assert_null(text);
	assert_int_equal(err.code, RB_ECONFIG);
	assert_string_equal(err.msg, msg);
}

/*
 * How often line (a whole line) is in section ("[Service]") of text,
 * and how often anywhere.
 */
static int count_line(const char *text, const char *section,
		      const char *line, int *anywhere)
{
	const char *sect = "";
	size_t sect_len = 0, len = strlen(line);
	int n = 0;

	*anywhere = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (l && p[0] == '[') {
			sect = p;
			sect_len = l;
		} else if (l == len && !strncmp(p, line, len)) {
			(*anywhere)++;
			if (sect_len == strlen(section) &&
			    !strncmp(sect, section, sect_len))
				n++;
		}
		p += l + (nl != NULL);
	}
	return n;
}

/* line is in section, once, and nowhere else. */
static void assert_directive(const char *text, const char *section,
			     const char *line)
{
	int anywhere;
	int n = count_line(text, section, line, &anywhere);

	if (n != 1 || anywhere != 1)
		fail_msg("'%s': %d times in %s, %d in all; text:\n%s", line, n,
			 section, anywhere, text);
}

/* No directive starts with key= (any value). */
static void assert_no_key(const char *text, const char *key)
{
	size_t len = strlen(key);

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');

		if (!strncmp(p, key, len) && p[len] == '=')
			fail_msg("unexpected %s= in:\n%s", key, text);
		p = nl ? nl + 1 : p + strlen(p);
	}
}

/* The counter example's unit, as `systemd: true` makes it. */
static void test_counter_unit(void **state)
{
	char *t = render_ok("counter", "/opt/counter", "counter", "counter");

	(void)state;
	assert_directive(t, "[Unit]", "Description=counter (OTP release)");
	assert_directive(t, "[Unit]", "Wants=network-online.target");
	assert_directive(t, "[Unit]", "After=network-online.target");
	assert_directive(t, "[Unit]", "Wants=epmd.socket");
	assert_directive(t, "[Unit]", "After=epmd.socket");

	assert_directive(t, "[Service]", "Type=exec");
	assert_directive(t, "[Service]", "User=counter");
	assert_directive(t, "[Service]", "Group=counter");
	assert_directive(t, "[Service]",
			 "ExecStart=/opt/counter/current/bin/counter foreground");
	assert_directive(t, "[Service]",
			 "ExecStop=-/opt/counter/current/bin/counter stop");
	assert_directive(t, "[Service]", "Restart=on-failure");
	assert_directive(t, "[Service]", "RestartSec=5");

	/* every place the running release writes */
	assert_directive(t, "[Service]", "RuntimeDirectory=counter");
	assert_directive(t, "[Service]", "RuntimeDirectoryMode=0700");
	assert_directive(t, "[Service]", "StateDirectory=counter");
	assert_directive(t, "[Service]", "StateDirectoryMode=0700");
	assert_directive(t, "[Service]", "LogsDirectory=counter");
	assert_directive(t, "[Service]", "LogsDirectoryMode=0750");
	assert_directive(t, "[Service]", "WorkingDirectory=/var/lib/counter");
	assert_directive(t, "[Service]", "Environment=HOME=/var/lib/counter");
	assert_directive(t, "[Service]", "Environment=RELEASE_TMP=/run/counter");
	assert_directive(t, "[Service]",
			 "Environment=RELEASE_LOG_DIR=/var/log/counter");
	assert_directive(t, "[Service]",
			 "Environment=ERL_CRASH_DUMP=/var/log/counter/erl_crash.dump");
	assert_directive(t, "[Service]", "LimitNOFILE=65536");

	/* hardening */
	assert_directive(t, "[Service]", "NoNewPrivileges=yes");
	assert_directive(t, "[Service]", "ProtectSystem=strict");
	assert_directive(t, "[Service]", "ProtectHome=yes");
	assert_directive(t, "[Service]", "PrivateTmp=yes");
	assert_directive(t, "[Service]", "PrivateDevices=yes");
	assert_directive(t, "[Service]", "ProtectKernelTunables=yes");
	assert_directive(t, "[Service]", "ProtectKernelModules=yes");
	assert_directive(t, "[Service]", "ProtectControlGroups=yes");
	assert_directive(t, "[Service]", "RestrictSUIDSGID=yes");
	assert_directive(t, "[Service]", "LockPersonality=yes");

	assert_directive(t, "[Install]", "WantedBy=multi-user.target");

	/* not notify: nothing sends READY=1 (see systemd.c) */
	assert_no_key(t, "NotifyAccess");
	assert_no_key(t, "PIDFile");
	assert_no_key(t, "ReadWritePaths");
	/* the JIT maps code writable, then executable */
	assert_no_key(t, "MemoryDenyWriteExecute");

	/* sections in order, each once */
	{
		const char *u = strstr(t, "\n[Unit]\n");
		const char *s = strstr(t, "\n[Service]\n");
		const char *i = strstr(t, "\n[Install]\n");

		assert_non_null(u);
		assert_non_null(s);
		assert_non_null(i);
		assert_true(u < s && s < i);
		assert_null(strstr(u + 1, "\n[Unit]\n"));
		assert_null(strstr(s + 1, "\n[Service]\n"));
		assert_null(strstr(i + 1, "\n[Install]\n"));
	}
	/* commented: it starts by saying what it is and how to use it */
	assert_true(!strncmp(t, "# counter.service: ", 19));
	assert_non_null(strstr(t, "#   systemctl link /opt/counter/current/counter.service\n"));
	assert_non_null(strstr(t, "#   systemctl enable --now counter.service\n"));
	/* every placeholder filled, nothing systemd would expand */
	assert_null(strchr(t, '@'));
	assert_null(strchr(t, '%'));
	assert_null(strchr(t, '$'));
	assert_null(strchr(t, '\\'));
	assert_int_equal(t[strlen(t) - 1], '\n');
	free(t);
}

/* Every line is a comment, a section, blank or Key=Value. */
static void test_line_shapes(void **state)
{
	char *t = render_ok("counter", "/opt/counter", "counter", "counter");

	(void)state;
	for (const char *p = t; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = (size_t)(nl - p);
		const char *eq = memchr(p, '=', l);

		assert_non_null(nl);
		if (l && p[0] != '#' && p[0] != '[') {
			assert_non_null(eq);
			for (const char *c = p; c < eq; c++)
				assert_true((*c >= 'A' && *c <= 'Z') ||
					    (*c >= 'a' && *c <= 'z'));
			assert_true(eq[1] != ' ' && eq[-1] != ' ');
		}
		if (l && p[0] == '[')
			assert_int_equal(p[l - 1], ']');
		p = nl + 1;
	}
	free(t);
}

/* Root, user and group go where they belong; the name is the unit's. */
static void test_fields(void **state)
{
	char *t = render_ok("shop-web_2", "/srv/apps/shop", "web", "www-data");

	(void)state;
	assert_directive(t, "[Service]", "User=web");
	assert_directive(t, "[Service]", "Group=www-data");
	assert_directive(t, "[Service]",
			 "ExecStart=/srv/apps/shop/current/bin/shop-web_2 foreground");
	assert_directive(t, "[Service]",
			 "ExecStop=-/srv/apps/shop/current/bin/shop-web_2 stop");
	assert_directive(t, "[Service]", "RuntimeDirectory=shop-web_2");
	assert_directive(t, "[Service]", "StateDirectory=shop-web_2");
	assert_directive(t, "[Service]", "LogsDirectory=shop-web_2");
	assert_directive(t, "[Service]",
			 "Environment=RELEASE_TMP=/run/shop-web_2");
	assert_directive(t, "[Service]",
			 "WorkingDirectory=/var/lib/shop-web_2");
	assert_directive(t, "[Unit]", "Description=shop-web_2 (OTP release)");
	assert_non_null(strstr(t, "#   systemctl link /srv/apps/shop/current/shop-web_2.service\n"));
	assert_non_null(strstr(t, "sudo -u web env RELEASE_TMP=/run/shop-web_2 /srv/apps/shop/current/bin/shop-web_2 remote\n"));
	assert_null(strstr(t, "counter"));
	assert_null(strstr(t, "/opt/"));
	free(t);
}

/* The same fields give the same bytes. */
static void test_deterministic(void **state)
{
	char *a = render_ok("counter", "/opt/counter", "counter", "counter");
	char *b = render_ok("counter", "/opt/counter", "counter", "counter");
	char *c = render_ok("counter", "/opt/counter", "counter", "other");

	(void)state;
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
}

static void test_names(void **state)
{
	char *s;

	(void)state;
	s = rb_systemd_default_root("counter");
	assert_string_equal(s, "/opt/counter");
	free(s);
	s = rb_systemd_unit_file("counter");
	assert_string_equal(s, "counter.service");
	free(s);
}

static void test_valid_root(void **state)
{
	(void)state;
	assert_true(rb_systemd_valid_root("/opt/counter"));
	assert_true(rb_systemd_valid_root("/srv/a.b/c_d-e+f@g/1"));
	assert_true(rb_systemd_valid_root("/x"));
	assert_true(rb_systemd_valid_root("/a/.hidden"));
	assert_false(rb_systemd_valid_root(""));
	assert_false(rb_systemd_valid_root("/"));
	assert_false(rb_systemd_valid_root("opt/counter"));
	assert_false(rb_systemd_valid_root("/opt/counter/"));
	assert_false(rb_systemd_valid_root("/opt//counter"));
	assert_false(rb_systemd_valid_root("/opt/./counter"));
	assert_false(rb_systemd_valid_root("/opt/../counter"));
	assert_false(rb_systemd_valid_root("/opt/.."));
	/* what a unit file would split, quote, escape or expand */
	assert_false(rb_systemd_valid_root("/opt/my app"));
	assert_false(rb_systemd_valid_root("/opt/%n"));
	assert_false(rb_systemd_valid_root("/opt/$HOME"));
	assert_false(rb_systemd_valid_root("/opt/a\\x20b"));
	assert_false(rb_systemd_valid_root("/opt/\"q\""));
	assert_false(rb_systemd_valid_root("/opt/a;b"));
	assert_false(rb_systemd_valid_root("/opt/a\nb"));
	{
		char long_root[1100];

		long_root[0] = '/';
		memset(long_root + 1, 'a', 1023);
		long_root[1024] = '\0';
		assert_true(rb_systemd_valid_root(long_root));
		long_root[1024] = 'a';
		long_root[1025] = '\0';
		assert_false(rb_systemd_valid_root(long_root));
	}
}

static void test_valid_user(void **state)
{
	(void)state;
	assert_true(rb_systemd_valid_user("counter"));
	assert_true(rb_systemd_valid_user("_apt"));
	assert_true(rb_systemd_valid_user("www-data"));
	assert_true(rb_systemd_valid_user("Shop2"));
	assert_true(rb_systemd_valid_user("a234567890123456789012345678901"));
	assert_false(rb_systemd_valid_user("a2345678901234567890123456789012"));
	assert_false(rb_systemd_valid_user(""));
	assert_false(rb_systemd_valid_user("2fa"));
	assert_false(rb_systemd_valid_user("1000"));
	assert_false(rb_systemd_valid_user("-x"));
	assert_false(rb_systemd_valid_user("a b"));
	assert_false(rb_systemd_valid_user("a.b"));
	assert_false(rb_systemd_valid_user("%u"));
	assert_false(rb_systemd_valid_user("root\n"));
}

static void test_render_errors(void **state)
{
	char long_name[300];

	(void)state;
	expect_render_error("counter", "opt/counter", "counter", "counter",
		"invalid install root 'opt/counter' for the systemd unit: an "
		"absolute path of letters, digits and '/._-+@', without '.' "
		"or '..' components");
	expect_render_error("counter", "/opt/counter", "2fa", "counter",
		"invalid user '2fa' for the systemd unit: a letter or '_', "
		"then letters, digits, '_' or '-', at most 31");
	expect_render_error("counter", "/opt/counter", "counter", "a b",
		"invalid group 'a b' for the systemd unit: a letter or '_', "
		"then letters, digits, '_' or '-', at most 31");
	expect_render_error("no/slash", "/opt/counter", "counter", "counter",
		"'no/slash' cannot name a systemd unit: letters, digits, '_' "
		"and '-', at most 247");
	memset(long_name, 'a', 248);
	long_name[248] = '\0';
	{
		struct rb_systemd_unit u = { long_name, "/opt/x", "x", "x" };
		struct rb_error err = { 0 };
		char *text;

		assert_int_equal(rb_systemd_render(&u, &text, &err), -1);
		assert_int_equal(err.code, RB_ECONFIG);
	}
	long_name[247] = '\0';
	free(render_ok(long_name, "/opt/x", "x", "x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_unit),
		cmocka_unit_test(test_line_shapes),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_valid_root),
		cmocka_unit_test(test_valid_user),
		cmocka_unit_test(test_render_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
