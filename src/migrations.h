#ifndef RB_MIGRATIONS_H
#define RB_MIGRATIONS_H

#include <stddef.h>

#include "error.h"

/*
 * The database migrations an application ships in priv/repo/migrations/,
 * checked at build time so that a bad name or a clash of versions fails
 * the build, not the first migration on a server.
 *
 * Ownership: a struct rb_migration_list owns its entries and their
 * strings; rb_migration_list_release() frees them.
 */

struct rb_migration {
	char *version; /* the leading digits, as written: "20240101120000" */
	char *name;    /* between the '_' and the extension: "create_users" */
	char *path;    /* the file: the real path of its directory + name */
};

struct rb_migration_list {
	struct rb_migration *v;
	size_t nr;
	size_t alloc;
};

void rb_migration_list_init(struct rb_migration_list *list);
void rb_migration_list_release(struct rb_migration_list *list);

/* The subdirectory of an application that holds its migrations. */
#define RB_MIGRATIONS_DIR "priv/repo/migrations"

/*
 * Check app_dir/priv/repo/migrations: every file (dot files and
 * subdirectories aside, as Ecto skips them) must be named
 * <digits>_<name>.exs or <digits>_<name>.sql, name being [A-Za-z0-9_]+,
 * and no two may share a version (compared as numbers: 02 is 2).  Every
 * problem is reported, one line each, paths relative to the current
 * directory when under it.  On success out gets the migrations sorted
 * by version.  A missing directory is no error (and no migrations).
 * out must be released either way.
 */
int rb_migrations_check(const char *app_dir, struct rb_migration_list *out,
			struct rb_error *err);

/* The same for a migrations directory itself. */
int rb_migrations_check_dir(const char *dir, struct rb_migration_list *out,
			    struct rb_error *err);

/* Compare two digit strings as numbers, without overflow. */
int rb_migration_version_cmp(const char *a, const char *b);

#endif
