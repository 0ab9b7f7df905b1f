#ifndef RB_CONFIG_H
#define RB_CONFIG_H

#include <stddef.h>

#include "error.h"
#include "util.h"

/*
 * rel/config.yml: environments and releases.  A release's settings are
 * overridden by the chosen environment's; rb_config_resolve() flattens
 * them into one struct rb_plan.
 */

enum rb_start_type {
	RB_START_PERMANENT,
	RB_START_TRANSIENT,
	RB_START_TEMPORARY,
	RB_START_LOAD,
	RB_START_NONE,
};

/* "permanent" … "none". */
const char *rb_start_type_name(enum rb_start_type t);

enum rb_compression {
	RB_COMPRESS_GZIP,
	RB_COMPRESS_ZSTD,
	RB_COMPRESS_NONE,
};

/* "gzip", "zstd", "none". */
const char *rb_compression_name(enum rb_compression c);

/* What a build does about calls into modules the release lacks. */
enum rb_undefined_calls {
	RB_UNDEFINED_WARN,
	RB_UNDEFINED_ERROR,
	RB_UNDEFINED_IGNORE,
};

enum rb_overlay_kind {
	RB_OVERLAY_MKDIR,
	RB_OVERLAY_COPY,
	RB_OVERLAY_TEMPLATE,
};

struct rb_overlay {
	enum rb_overlay_kind kind;
	char *from; /* NULL for mkdir */
	char *to;   /* relative to the release root, never absolute nor ".." */
};

struct rb_app_ref {
	char *name;
	enum rb_start_type type;
	int has_type; /* 0: "shop" alone, the default start type applies */
	int line, col; /* where the config names it; 0 when it does not */
};

struct rb_named_path {
	char *name; /* hook event or command name */
	char *path; /* relative to the project root */
};

/* A tri-state for booleans: unset settings fall through. */
enum { RB_UNSET = -1 };

/* Settings that a release and an environment may both carry. */
struct rb_settings {
	int dev_mode;           /* dev_mode: bool */
	int include_erts;       /* include_erts: bool (1 also with a path) */
	char *erts_path;        /* include_erts: PATH (another OTP root) */
	int include_src;        /* include_src: bool */
	int executable;         /* executable: bool (<name>-<vsn>.run too) */
	int strip_debug_info;   /* strip_debug_info: bool */
	int tar;                /* tar: false disables the tarball */
	int compression;        /* tar: { compression: … }, RB_UNSET or enum */
	int undefined_calls;    /* undefined_calls: warn | error | ignore, RB_UNSET or enum */
	struct strvec no_warn_undefined; /* no_warn_undefined: [module] */
	int has_no_warn_undefined;       /* given: replaces the release's */
	/* follow_links_under: [path] where links out of the project may go */
	struct strvec follow_links_under;
	int has_follow_links_under;
	char *cookie;           /* cookie: string, ${VAR} expanded at build */
	char *vm_args;          /* vm_args: path */
	char *remote_vm_args;   /* remote_vm_args: path */
	char *env_sh;           /* env_sh: path */
	char *sys_config;       /* sys_config: path */
	char *output_dir;       /* output_dir: path, default _build/<env>/rel */
	struct strvec lib_dirs; /* lib_dirs: [path] extra app directories */
	struct rb_named_path *hooks;   /* hooks: { event: dir } */
	size_t nr_hooks;
	struct rb_named_path *commands; /* commands: { name: script } */
	size_t nr_commands;
	struct rb_overlay *overlays;   /* overlays: [ … ] */
	size_t nr_overlays;
	int systemd;            /* systemd: bool (1 also with a map) */
	char *systemd_root;     /* systemd: { root: DIR } */
	char *systemd_user;     /* systemd: { user: NAME } */
	char *systemd_group;    /* systemd: { group: NAME } */
	/* The key was given (maybe empty): it replaces the release's. */
	int has_lib_dirs, has_hooks, has_commands, has_overlays;
};

struct rb_release_config {
	char *name;
	char *version;          /* version: "0.1.0" */
	char *version_from_app; /* version: { from_app: shop } */
	struct rb_app_ref *apps; /* applications: [ … ] */
	size_t nr_apps;
	struct rb_settings settings;
};

struct rb_env_config {
	char *name;
	struct rb_settings settings;
};

struct rb_config {
	char *path; /* the file it was read from */
	char *default_release;
	char *default_environment;
	struct rb_env_config *envs;
	size_t nr_envs;
	struct rb_release_config *releases;
	size_t nr_releases;
};

/* The hook events, in the order they fire; NULL-terminated. */
extern const char *const rb_hook_events[];
extern const size_t rb_nr_hook_events;

/*
 * The control script's own commands, which custom commands may not
 * shadow; NULL-terminated.
 */
extern const char *const rb_builtin_commands[];
extern const size_t rb_nr_builtin_commands;

/*
 * 1 when s may name a release or an environment (they end up in paths
 * and script names): letters, digits, '_' and '-', no leading '-'.
 */
int rb_config_valid_name(const char *s);

/*
 * Read and check a config file.  Every error is RB_ECONFIG with a
 * message "path:line:col: what is wrong".  cfg is filled on success and
 * must be released with rb_config_release() either way.
 */
int rb_config_load(struct rb_config *cfg, const char *path,
		   struct rb_error *err);
/* The same, from a string; path is used only in messages. */
int rb_config_parse(struct rb_config *cfg, const char *path,
		    const char *text, size_t len, struct rb_error *err);
void rb_config_release(struct rb_config *cfg);

/* The flattened result of a release in an environment. */
struct rb_plan {
	char *release;          /* release name */
	char *env;              /* environment name ("prod" when none applies) */
	char *version;          /* NULL when from_app: resolved by the caller */
	char *version_from_app;
	struct rb_app_ref *apps; /* never empty: default [release name] */
	size_t nr_apps;
	int dev_mode;
	int include_erts;
	char *erts_path;
	int include_src;
	int executable; /* also write <name>-<vsn>.run */
	int strip_debug_info;
	int tar;
	enum rb_compression compression;
	enum rb_undefined_calls undefined_calls;
	struct strvec no_warn_undefined; /* modules not to report as missing */
	struct strvec follow_links_under; /* roots links may lead to */
	char *cookie;           /* NULL: none shipped (the server makes one) */
	char *vm_args;
	char *remote_vm_args;   /* NULL: no releases/<vsn>/remote.vm.args */
	char *env_sh;           /* NULL: no releases/<vsn>/env.sh */
	char *sys_config;
	char *output_dir;       /* never NULL: default "_build/<env>/rel" */
	struct strvec lib_dirs;
	struct rb_named_path *hooks;
	size_t nr_hooks;
	struct rb_named_path *commands;
	size_t nr_commands;
	struct rb_overlay *overlays;
	size_t nr_overlays;
	int systemd;            /* write <name>.service at the release root */
	char *systemd_root;     /* with systemd, never NULL: default /opt/<name> */
	char *systemd_user;     /* with systemd, never NULL: default the release name */
	char *systemd_group;    /* with systemd, never NULL: default the user */
};

/*
 * Pick the release (NULL: default_release, or the only one) and the
 * environment (NULL: default_environment, or "prod" if defined, else
 * the release's settings alone), then merge: a setting the environment
 * sets wins; lib_dirs, hooks, commands, overlays, no_warn_undefined and
 * follow_links_under are replaced whole; systemd's root, user and
 * group each on its own.
 * The defaults for unset settings: dev_mode false, include_erts true,
 * include_src false, executable false, strip_debug_info true, tar true (always false in
 * dev_mode), gzip, undefined_calls warn, output_dir "_build/<env>/rel", applications [release
 * name], systemd false (on: root /opt/<name>, user the release name,
 * group the user; a release name that is no valid user name then needs
 * a user).  In the cookie, ${VAR} and ${VAR:-default} are replaced from
 * the process environment; an empty result means NULL.  Unknown names
 * are RB_ECONFIG errors "path: unknown environment 'x' (known: a, b)".
 * plan must be released with rb_plan_release() either way.
 */
int rb_config_resolve(const struct rb_config *cfg, const char *release,
		      const char *env, struct rb_plan *plan,
		      struct rb_error *err);
void rb_plan_release(struct rb_plan *plan);

/*
 * Fill the unit's settings the config leaves out (root /opt/<name>,
 * user the release name, group the user) and check them as the unit
 * takes them: RB_ECONFIG "path: …" otherwise.  rb_config_resolve()
 * calls it when systemd is on; `relbuild systemd-unit`, whatever the
 * setting.
 */
int rb_plan_systemd_defaults(struct rb_plan *plan, const char *path,
			     struct rb_error *err);

#endif
