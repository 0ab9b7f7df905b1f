#ifndef RB_SYSTEMD_H
#define RB_SYSTEMD_H

#include "error.h"

/*
 * The systemd unit a release can carry (systemd: in rel/config.yml):
 * <name>.service at the release root, running <root>/current, the
 * version `relbuild install --root <root>` made current.
 */
struct rb_systemd_unit {
	const char *name;  /* the release: <name>.service, bin/<name> */
	const char *root;  /* the install root, e.g. /opt/<name> */
	const char *user;  /* User= */
	const char *group; /* Group= */
};

/* "/opt/<name>", the install root by default; caller frees. */
char *rb_systemd_default_root(const char *name);

/* "<name>.service", the unit's file name; caller frees. */
char *rb_systemd_unit_file(const char *name);

/*
 * 1 when s may stand as the install root in a unit file unquoted: an
 * absolute path of letters, digits and "/._-+@", no "." or ".."
 * component, no empty component, no trailing "/", at most 1024 bytes.
 */
int rb_systemd_valid_root(const char *s);

/*
 * 1 when s is a user or group name systemd takes in User=/Group=: a
 * letter or '_', then letters, digits, '_' or '-', at most 31 bytes.
 */
int rb_systemd_valid_user(const char *s);

/*
 * The unit's text, the same bytes for the same fields.  A field that
 * cannot go into a unit file (see the checks above; the name as
 * rb_config_valid_name() takes it, at most 247 bytes) is an
 * RB_ECONFIG error.  *out is the caller's to free.
 */
int rb_systemd_render(const struct rb_systemd_unit *u, char **out,
		      struct rb_error *err);

#endif
