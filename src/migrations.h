#ifndef RB_MIGRATIONS_H
#define RB_MIGRATIONS_H

#include <stddef.h>

#include "error.h"

/*
 * The database migrations an application ships in priv/repo/migrations/,
 * found as Ecto's migrator finds them and checked at build time, so that
 * a clash of versions fails the build, not the first migration on a
 * server.
 *
 * Ownership: a struct rb_migration_list owns its entries and their
 * strings; rb_migration_list_release() frees them.
 */

struct rb_migration {
	char *version; /* the integer, as written: "20240101120000" */
	char *name;    /* between the '_' and the extension: "create_users" */
	char *rel;     /* below the migrations directory: "2024/1_x.exs" */
	char *path;    /* the file: the real path of that directory + rel */
};

/* A file in the tree that is not a migration, and why. */
struct rb_migration_skip {
	char *rel;       /* below the migrations directory */
	const char *why; /* static text: "not named <integer>_<name>.exs or .sql" */
};

struct rb_migration_list {
	struct rb_migration *v;
	size_t nr;
	size_t alloc;
	struct rb_migration_skip *skipped; /* in path order */
	size_t nr_skipped;
	size_t alloc_skipped;
};

void rb_migration_list_init(struct rb_migration_list *list);
void rb_migration_list_release(struct rb_migration_list *list);

/* The subdirectory of an application that holds its migrations. */
#define RB_MIGRATIONS_DIR "priv/repo/migrations"

/*
 * Check app_dir/priv/repo/migrations and its subdirectories, as Ecto's
 * migrator reads them (it globs for .exs files at any depth): a file is a
 * migration when its name is <integer>_<name>.exs, or .sql (relbuild's
 * own addition), the integer as Elixir's Integer.parse/1 reads it (an
 * optional sign, digits); dot files and dot directories are not looked
 * at; every other file lands in out->skipped.  No two migrations
 * anywhere in the tree may share a version (compared as numbers: 02 is
 * 2); every clash is reported, one line each, paths relative to the
 * current directory when under it.  On success out->v holds the
 * migrations sorted by version.  A missing directory is no error (and
 * no migrations).  out must be released either way.
 */
int rb_migrations_check(const char *app_dir, struct rb_migration_list *out,
			struct rb_error *err);

/* The same for a migrations directory itself. */
int rb_migrations_check_dir(const char *dir, struct rb_migration_list *out,
			    struct rb_error *err);

/* Compare two versions ([+-]digits) as integers, without overflow. */
int rb_migration_version_cmp(const char *a, const char *b);

/*
 * Split "<integer>_<name>.exs" (or .sql) into version and name, as Ecto
 * does: Integer.parse/1 of the name without its last extension must
 * leave "_" and the rest, which may be empty and may hold anything.
 * 1 with *version and *name set (caller frees); 0, and *why set (static
 * text), when the file is no migration.
 */
int rb_migration_parse_name(const char *file, char **version, char **name,
			    const char **why);

/* Why a migration directory's entry that is no file is skipped. */
extern const char rb_migration_not_file[];

#endif
