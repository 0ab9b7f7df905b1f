#include "migrations.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void rb_migration_list_init(struct rb_migration_list *list)
{
	list->v = NULL;
	list->nr = list->alloc = 0;
}

void rb_migration_list_release(struct rb_migration_list *list)
{
	for (size_t i = 0; i < list->nr; i++) {
		free(list->v[i].version);
		free(list->v[i].name);
		free(list->v[i].path);
	}
	free(list->v);
	rb_migration_list_init(list);
}

/* Skip leading zeros, keeping one digit. */
static const char *significant(const char *s)
{
	while (s[0] == '0' && s[1])
		s++;
	return s;
}

int rb_migration_version_cmp(const char *a, const char *b)
{
	size_t la, lb;
	int c;

	a = significant(a);
	b = significant(b);
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	c = strcmp(a, b);
	return c < 0 ? -1 : c > 0;
}

static int cmp_migration(const void *pa, const void *pb)
{
	const struct rb_migration *a = pa, *b = pb;
	int c = rb_migration_version_cmp(a->version, b->version);

	return c ? c : strcmp(a->path, b->path);
}

/*
 * Split "<digits>_<name>.exs|.sql" into version and name; 0 when the
 * file name has another shape.
 */
static int parse_name(const char *file, char **version, char **name)
{
	size_t nd = strspn(file, "0123456789"), len = strlen(file), nn;
	const char *rest = file + nd + 1;

	if (!nd || file[nd] != '_' ||
	    !(has_suffix(file, ".exs") || has_suffix(file, ".sql")))
		return 0;
	if (len < nd + 1 + 4)
		return 0;
	nn = len - nd - 1 - 4;
	if (!nn || strspn(rest, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != nn)
		return 0;
	*version = xstrndup(file, nd);
	*name = xstrndup(rest, nn);
	return 1;
}

/* path for messages: relative to the current directory when under it. */
static const char *shown(const char *path, const char *cwd)
{
	size_t n = strlen(cwd);

	if (n > 1 && !strncmp(path, cwd, n) && path[n] == '/')
		return path + n + 1;
	return path;
}

int rb_migrations_check_dir(const char *dir, struct rb_migration_list *out,
			    struct rb_error *err)
{
	struct strvec entries = STRVEC_INIT;
	struct strbuf problems = STRBUF_INIT;
	char real[PATH_MAX], cwd[PATH_MAX];
	const char *base = dir;
	size_t first = out->nr;
	int ret = -1;

	if (!is_dir(dir))
		return 0;
	if (realpath(dir, real))
		base = real;
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	if (list_dir(dir, &entries, err) < 0)
		goto out;
	for (size_t i = 0; i < entries.nr; i++) {
		const char *file = entries.v[i];
		char *path, *version, *name;
		struct rb_migration *m;

		if (file[0] == '.')
			continue;
		path = path_join(base, file);
		if (is_dir(path)) {
			free(path);
			continue;
		}
		if (!parse_name(file, &version, &name)) {
			sb_addf(&problems, "%sbad migration file name '%s' (expected <digits>_<name>.exs or .sql)",
				problems.len ? "\n" : "", shown(path, cwd));
			free(path);
			continue;
		}
		ALLOC_GROW(out->v, out->nr + 1, out->alloc);
		m = &out->v[out->nr++];
		m->version = version;
		m->name = name;
		m->path = path;
	}
	if (out->nr > first)
		qsort(out->v + first, out->nr - first, sizeof(*out->v),
		      cmp_migration);
	for (size_t i = first + 1; i < out->nr; i++) {
		const struct rb_migration *a = &out->v[i - 1], *b = &out->v[i];

		if (rb_migration_version_cmp(a->version, b->version))
			continue;
		sb_addf(&problems, "%sduplicate migration version %s: '%s' and '%s'",
			problems.len ? "\n" : "", significant(a->version),
			shown(a->path, cwd), shown(b->path, cwd));
	}
	if (problems.len) {
		rb_fail(err, "%s", problems.buf);
		goto out;
	}
	ret = 0;
out:
	sb_release(&problems);
	strvec_clear(&entries);
	return ret;
}

int rb_migrations_check(const char *app_dir, struct rb_migration_list *out,
			struct rb_error *err)
{
	char *dir = path_join(app_dir, RB_MIGRATIONS_DIR);
	int ret = rb_migrations_check_dir(dir, out, err);

	free(dir);
	return ret;
}
