#include "runtime.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* dirname(dirname(realpath(prog))): bin/erl -> the root above bin/. */
static char *root_of(const char *prog)
{
	char real[PATH_MAX];
	char *slash;

	if (!realpath(prog, real))
		return NULL;
	for (int i = 0; i < 2; i++) {
		slash = strrchr(real, '/');
		if (!slash || slash == real)
			return NULL;
		*slash = '\0';
	}
	return xstrdup(real);
}

static int find_erts(struct rb_runtime *rt, struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;
	int ret = -1;

	if (list_dir(rt->otp_root, &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.nr; i++) {
		if (!has_prefix(names.v[i], "erts-"))
			continue;
		if (rt->erts_vsn) {
			rb_fail(err, "'%s' holds more than one runtime (erts-%s and %s)",
				rt->otp_root, rt->erts_vsn, names.v[i]);
			goto out;
		}
		rt->erts_vsn = xstrdup(names.v[i] + 5);
	}
	if (!rt->erts_vsn) {
		rb_fail(err, "'%s' is not an OTP root: it has no erts-<vsn> directory",
			rt->otp_root);
		goto out;
	}
	strvec_clear(&names);
	{
		char *rels = path_join(rt->otp_root, "releases");

		if (list_dir(rels, &names, NULL) == 0)
			for (size_t i = 0; i < names.nr; i++)
				if (strspn(names.v[i], "0123456789") == strlen(names.v[i])) {
					free(rt->otp_release);
					rt->otp_release = xstrdup(names.v[i]);
				}
		free(rels);
	}
	ret = 0;
out:
	strvec_clear(&names);
	return ret;
}

int rb_runtime_find(struct rb_runtime *rt, const char *otp_root,
		    int want_elixir, struct rb_error *err)
{
	char *erl = NULL, *lib = NULL;
	int ret = -1;

	memset(rt, 0, sizeof(*rt));
	erl = which("erl");
	if (!erl) {
		rb_fail(err, "no 'erl' on PATH: install Erlang/OTP (apt-get install erlang-nox)");
		goto out;
	}
	rt->erl = xstrdup(erl);
	if (otp_root) {
		char real[PATH_MAX];

		if (!realpath(otp_root, real)) {
			rb_fail_errno(err, "include_erts: cannot use '%s'", otp_root);
			goto out;
		}
		rt->otp_root = xstrdup(real);
	} else {
		rt->otp_root = root_of(erl);
		if (!rt->otp_root) {
			rb_fail(err, "cannot find the OTP root of '%s'", erl);
			goto out;
		}
	}
	lib = path_join(rt->otp_root, "lib");
	if (!is_dir(lib)) {
		rb_fail(err, "'%s' is not an OTP root: it has no lib/", rt->otp_root);
		goto out;
	}
	if (find_erts(rt, err) < 0)
		goto out;
	if (want_elixir) {
		char *elixir = which("elixir");
		char *root = elixir ? root_of(elixir) : NULL;

		free(elixir);
		if (!root) {
			rb_fail(err, "this is a mix project but there is no 'elixir' on PATH");
			goto out;
		}
		rt->elixir_lib = path_join(root, "lib");
		free(root);
	}
	ret = 0;
out:
	free(erl);
	free(lib);
	return ret;
}

void rb_runtime_release(struct rb_runtime *rt)
{
	free(rt->otp_root);
	free(rt->erts_vsn);
	free(rt->otp_release);
	free(rt->erl);
	free(rt->elixir_lib);
	memset(rt, 0, sizeof(*rt));
}
