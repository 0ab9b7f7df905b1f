#include "migrations.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

void rb_migration_list_init(struct rb_migration_list *list)
{
	list->v = NULL;
	list->nr = list->alloc = 0;
	list->skipped = NULL;
	list->nr_skipped = list->alloc_skipped = 0;
}

void rb_migration_list_release(struct rb_migration_list *list)
{
	for (size_t i = 0; i < list->nr; i++) {
		free(list->v[i].version);
		free(list->v[i].name);
		free(list->v[i].rel);
		free(list->v[i].path);
	}
	for (size_t i = 0; i < list->nr_skipped; i++)
		free(list->skipped[i].rel);
	free(list->v);
	free(list->skipped);
	rb_migration_list_init(list);
}

/*
 * The sign (-1 or 1) and the significant digits of a version, "+007"
 * being 1 and "7", "-0" 1 and "0".
 */
static const char *magnitude(const char *v, int *sign)
{
	*sign = 1;
	if (*v == '+' || *v == '-') {
		if (*v == '-')
			*sign = -1;
		v++;
	}
	while (v[0] == '0' && v[1])
		v++;
	if (!strcmp(v, "0"))
		*sign = 1;
	return v;
}

int rb_migration_version_cmp(const char *a, const char *b)
{
	size_t la, lb;
	int sa, sb, c;

	a = magnitude(a, &sa);
	b = magnitude(b, &sb);
	if (sa != sb)
		return sa < sb ? -1 : 1;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		c = la < lb ? -1 : 1;
	else
		c = strcmp(a, b);
	c = c < 0 ? -1 : c > 0;
	return sa * c;
}

static int cmp_migration(const void *pa, const void *pb)
{
	const struct rb_migration *a = pa, *b = pb;
	int c = rb_migration_version_cmp(a->version, b->version);

	return c ? c : strcmp(a->rel, b->rel);
}

static const char not_named[] = "not named <integer>_<name>.exs or .sql";
static const char ex_file[] =
	"named like a migration but .ex: Ecto warns and does not run it (rename it .exs)";
const char rb_migration_not_file[] = "not a regular file";

/*
 * The length of the integer at the start of s as Elixir's
 * Integer.parse/1 reads it: an optional sign and at least one digit;
 * 0 when there is none.
 */
static size_t integer_len(const char *s)
{
	size_t sign = s[0] == '+' || s[0] == '-';
	size_t nd = strspn(s + sign, "0123456789");

	return nd ? sign + nd : 0;
}

int rb_migration_parse_name(const char *file, char **version, char **name,
			    const char **why)
{
	const char *ext = strrchr(file, '.');
	size_t ni = integer_len(file);

	*why = not_named;
	if (!ext || !ni || file[ni] != '_' || file + ni > ext)
		return 0;
	if (!strcmp(ext, ".ex")) {
		*why = ex_file;
		return 0;
	}
	if (strcmp(ext, ".exs") && strcmp(ext, ".sql"))
		return 0;
	*version = xstrndup(file, ni);
	*name = xstrndup(file + ni + 1, (size_t)(ext - file) - ni - 1);
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

struct walk {
	const char *base; /* the migrations directory, its real path if known */
	const char *cwd;
	struct rb_migration_list *out;
	struct rb_error *err;
};

/* Note rel (which the list takes) as no migration, for why. */
static void skip(struct walk *w, char *rel, const char *why)
{
	struct rb_migration_list *out = w->out;
	struct rb_migration_skip *s;

	ALLOC_GROW(out->skipped, out->nr_skipped + 1, out->alloc_skipped);
	s = &out->skipped[out->nr_skipped++];
	s->rel = rel;
	s->why = why;
}

/* A directory being read, and the one that led to it. */
struct ancestor {
	dev_t dev;
	ino_t ino;
	const struct ancestor *up;
};

/*
 * Read base/rel (base itself when rel is NULL) and what is below it;
 * st is the directory's stat, up the directories above it.
 */
static int walk_dir(struct walk *w, const char *rel, const struct stat *st,
		    const struct ancestor *up)
{
	struct strvec entries = STRVEC_INIT;
	char *dir = rel ? path_join(w->base, rel) : xstrdup(w->base);
	struct ancestor self = { st->st_dev, st->st_ino, up };
	int ret = -1;

	/* Symlinks are followed: one back up the tree would never end. */
	for (const struct ancestor *a = up; a; a = a->up) {
		if (a->dev == st->st_dev && a->ino == st->st_ino) {
			rb_fail(w->err, "'%s': a symlink loop", shown(dir, w->cwd));
			goto out;
		}
	}
	if (list_dir(dir, &entries, w->err) < 0)
		goto out;
	for (size_t i = 0; i < entries.nr; i++) {
		const char *file = entries.v[i], *why;
		char *sub, *path, *version, *name;
		struct rb_migration *m;
		struct stat sst;

		/* Ecto's glob does not match dot files, nor enter dot directories. */
		if (file[0] == '.')
			continue;
		sub = rel ? path_join(rel, file) : xstrdup(file);
		path = path_join(w->base, sub);
		/* Symlinks followed, as Ecto's glob and copy_tree() follow them. */
		if (stat(path, &sst) < 0)
			sst.st_mode = 0;
		if (S_ISDIR(sst.st_mode)) {
			int r = walk_dir(w, sub, &sst, &self);

			free(sub);
			free(path);
			if (r < 0)
				goto out;
			continue;
		}
		if (!S_ISREG(sst.st_mode)) {
			skip(w, sub, rb_migration_not_file);
			free(path);
			continue;
		}
		if (!rb_migration_parse_name(file, &version, &name, &why)) {
			skip(w, sub, why);
			free(path);
			continue;
		}
		ALLOC_GROW(w->out->v, w->out->nr + 1, w->out->alloc);
		m = &w->out->v[w->out->nr++];
		m->version = version;
		m->name = name;
		m->rel = sub;
		m->path = path;
	}
	ret = 0;
out:
	strvec_clear(&entries);
	free(dir);
	return ret;
}

int rb_migrations_check_dir(const char *dir, struct rb_migration_list *out,
			    struct rb_error *err)
{
	struct strbuf problems = STRBUF_INIT;
	char real[PATH_MAX], cwd[PATH_MAX];
	struct walk w = { .base = dir, .cwd = cwd, .out = out, .err = err };
	size_t first = out->nr;
	struct stat st;
	int ret = -1;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (realpath(dir, real))
		w.base = real;
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	if (walk_dir(&w, NULL, &st, NULL) < 0)
		goto out;
	if (out->nr > first)
		qsort(out->v + first, out->nr - first, sizeof(*out->v),
		      cmp_migration);
	for (size_t i = first + 1; i < out->nr; i++) {
		const struct rb_migration *a = &out->v[i - 1], *b = &out->v[i];
		const char *digits;
		int sign;

		if (rb_migration_version_cmp(a->version, b->version))
			continue;
		digits = magnitude(a->version, &sign);
		sb_addf(&problems, "%sduplicate migration version %s%s: '%s' and '%s'",
			problems.len ? "\n" : "", sign < 0 ? "-" : "", digits,
			shown(a->path, cwd), shown(b->path, cwd));
	}
	if (problems.len) {
		rb_fail(err, "%s", problems.buf);
		goto out;
	}
	ret = 0;
out:
	sb_release(&problems);
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
