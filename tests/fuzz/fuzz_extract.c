/*
 * libFuzzer target for rb_extract_memory(): whatever the bytes, nothing
 * may be written outside the destination, and what is inside must obey
 * the rules (no special files, no odd modes, no links leading out).
 *
 * Layout, made once per process:
 *   TMP/outer-sentinel
 *   TMP/box/sentinel
 *   TMP/box/dest        made and removed again for every input
 * TMP/box/dest/pre        a symlink to TMP/box, there before extracting
 * Anything else appearing in TMP or TMP/box, or a sentinel changing
 * (content, inode, size, mode, mtime, link count), aborts.
 *
 * Each input is used twice: as the bytes of an archive (which mostly
 * exercises libarchive's parsing, uninstrumented here), and as a script
 * of entries that libarchive's writer turns into a tarball, so that the
 * fuzzer steers names, types, modes and link targets directly.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "manifest.h"
#include "util.h"

#define SENTINEL_TEXT "sentinel: must never change\n"

static char *tmp, *box, *dest_path;
static int tmp_fd = -1, box_fd = -1;
static struct stat outer_st, inner_st;

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_extract: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	abort();
}

static void make_sentinel(int dirfd, const char *name, struct stat *st)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			0644);

	if (fd < 0 || write(fd, SENTINEL_TEXT, strlen(SENTINEL_TEXT)) !=
			      (ssize_t)strlen(SENTINEL_TEXT) ||
	    fstat(fd, st) < 0)
		die("cannot make a sentinel", name);
	close(fd);
}

static void cleanup(void)
{
	struct rb_error err;

	if (tmp && remove_tree(tmp, &err) < 0)
		fprintf(stderr, "fuzz_extract: %s\n", err.msg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = getenv("TMPDIR");
	char *tmpl;

	(void)argc;
	(void)argv;
	/* tmpfs when there is one: every input makes and removes a tree. */
	if (!base || !*base)
		base = is_dir("/dev/shm") ? "/dev/shm" : "/tmp";
	tmpl = xasprintf("%s/rb-fuzz-extract-XXXXXX", base);
	umask(022);
	if (!mkdtemp(tmpl))
		die("cannot make a temporary directory", tmpl);
	tmp = realpath(tmpl, NULL);
	if (!tmp)
		die("realpath", tmpl);
	free(tmpl);
	box = path_join(tmp, "box");
	dest_path = path_join(box, "dest");
	tmp_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmp_fd < 0 || mkdirat(tmp_fd, "box", 0755) < 0)
		die("cannot make", box);
	box_fd = openat(tmp_fd, "box", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (box_fd < 0)
		die("cannot open", box);
	make_sentinel(tmp_fd, "outer-sentinel", &outer_st);
	make_sentinel(box_fd, "sentinel", &inner_st);
	atexit(cleanup);
	return 0;
}

static void check_sentinel(int dirfd, const char *name,
			   const struct stat *was)
{
	char buf[256];
	struct stat st;
	ssize_t n;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		die("sentinel gone", name);
	if (st.st_ino != was->st_ino || st.st_size != was->st_size ||
	    st.st_mode != was->st_mode || st.st_nlink != was->st_nlink ||
	    st.st_mtim.tv_sec != was->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != was->st_mtim.tv_nsec)
		die("sentinel changed", name);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die("cannot open the sentinel", name);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != (ssize_t)strlen(SENTINEL_TEXT) ||
	    memcmp(buf, SENTINEL_TEXT, (size_t)n))
		die("sentinel content changed", name);
}

/* dirfd holds exactly a and b. */
static void check_only(int dirfd, const char *a, const char *b)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (!d)
		die("cannot list a directory", a);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, a) || (b && !strcmp(de->d_name, b)))
			continue;
		die("something appeared outside dest", de->d_name);
	}
	closedir(d);
}

/* What an extraction may leave: checked whether it succeeded or not. */
static void check_tree(int dirfd, const char *rel, const char *dest_real,
		       int depth, struct rb_manifest *files)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (!d)
		die("cannot list", rel);
	if (depth > 300)
		die("tree too deep", rel);
	while ((de = readdir(d))) {
		char *path;
		struct stat st;
		mode_t perm;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!depth && !strcmp(de->d_name, "pre"))
			continue;
		path = xasprintf("%s/%s", rel, de->d_name);
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			die("cannot stat", path);
		perm = st.st_mode & 07777;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						 O_CLOEXEC);

			if (perm != 0755)
				die("directory mode is not 0755", path);
			if (sub < 0)
				die("cannot open", path);
			check_tree(sub, path, dest_real, depth + 1, files);
			close(sub);
		} else if (S_ISREG(st.st_mode)) {
			if (perm != 0644 && perm != 0755 && perm != 0600 &&
			    perm != 0700)
				die("odd file mode", path);
			if (files) {
				char *full = xasprintf("%s%s", dest_real, path + 1);
				char hex[RB_SHA256_HEX];
				struct rb_error err;

				if (rb_sha256_file(full, hex, &err) < 0)
					die("cannot hash", err.msg);
				rb_manifest_add(files, path + 2, hex);
				free(full);
			}
		} else if (S_ISLNK(st.st_mode)) {
			char *full = xasprintf("%s%s", dest_real, path + 1);
			char *real = realpath(full, NULL);

			/* Dangling links are fine; one that resolves must stay in. */
			if (real && strcmp(real, dest_real) &&
			    !(has_prefix(real, dest_real) &&
			      real[strlen(dest_real)] == '/'))
				die("a symlink leads outside dest", path);
			free(real);
			free(full);
		} else {
			die("special file extracted", path);
		}
		free(path);
	}
	closedir(d);
}

static void check_all(int dest_fd, const char *dest_real,
		      struct rb_manifest *files)
{
	check_sentinel(tmp_fd, "outer-sentinel", &outer_st);
	check_sentinel(box_fd, "sentinel", &inner_st);
	check_only(tmp_fd, "box", "outer-sentinel");
	check_only(box_fd, "dest", "sentinel");
	check_tree(dest_fd, ".", dest_real, 0, files);
}

static int fresh_dest(void)
{
	int fd;

	if (mkdirat(box_fd, "dest", 0755) < 0)
		die("cannot make", dest_path);
	fd = openat(box_fd, "dest", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die("cannot open", dest_path);
	/* Not made by the archive: it must not be followed either. */
	if (symlinkat("..", fd, "pre") < 0)
		die("cannot make", "pre");
	return fd;
}

static void remove_dest(int fd)
{
	struct rb_error err;

	close(fd);
	if (rb_remove_tree_at(box_fd, "dest", &err) < 0)
		die("cannot remove dest", err.msg);
}

/* Pieces names are made of: the interesting ones are one byte away. */
static const char *const tokens[] = {
	"a", "b", "l", "d", "/", "..", ".", "pre", "sentinel", "", "x/",
	"../", "./", "//", "\\", "\n",
};

struct script {
	const uint8_t *p;
	size_t left;
};

static unsigned next_byte(struct script *s)
{
	if (!s->left)
		return 0;
	s->left--;
	return *s->p++;
}

/* A length byte, then that many bytes, tokens or themselves. */
static char *next_name(struct script *s)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned n = next_byte(s) % 24;

	for (unsigned i = 0; i < n && s->left; i++) {
		unsigned c = next_byte(s);

		if (c < sizeof(tokens) / sizeof(*tokens))
			sb_adds(&sb, tokens[c]);
		else if (c)
			sb_addc(&sb, (char)c);
	}
	sb_adds(&sb, "");
	return sb_detach(&sb);
}

static la_ssize_t sink(struct archive *a, void *data, const void *buf,
		       size_t len)
{
	(void)a;
	sb_add(data, buf, len);
	return (la_ssize_t)len;
}

/*
 * The script as a tarball: per entry a type byte, two mode bytes, a
 * name, a link target and a size byte (the content repeats the name).
 */
static int script_archive(const uint8_t *data, size_t size,
			  struct strbuf *out)
{
	static const mode_t types[] = {
		AE_IFREG, AE_IFDIR, AE_IFLNK, 0 /* hard link */, AE_IFREG,
		AE_IFDIR, AE_IFCHR, AE_IFIFO,
	};
	struct script s = { data, size };
	struct archive *a = archive_write_new();
	int ok = 0;

	if (!a)
		die("out of memory", NULL);
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, out, NULL, sink, NULL) != ARCHIVE_OK)
		die("cannot set up the writer", archive_error_string(a));
	for (int i = 0; i < 64 && s.left; i++) {
		struct archive_entry *e = archive_entry_new();
		unsigned t = next_byte(&s);
		mode_t type = types[t % 8];
		mode_t perm = (mode_t)((next_byte(&s) << 8 | next_byte(&s)) & 07777);
		char *name = next_name(&s), *target = next_name(&s);
		size_t len = next_byte(&s) % 200;

		archive_entry_set_pathname(e, name);
		archive_entry_set_perm(e, perm);
		archive_entry_set_mtime(e, 946684800, 0);
		if (!type) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, target);
			len = 0;
		} else {
			archive_entry_set_filetype(e, type);
			if (type == AE_IFLNK)
				archive_entry_set_symlink(e, target);
			if (type != AE_IFREG)
				len = 0;
		}
		archive_entry_set_size(e, (la_int64_t)len);
		if (archive_write_header(a, e) == ARCHIVE_OK) {
			for (size_t k = 0; k < len; k++)
				if (archive_write_data(a, name[0] ? name + k % strlen(name) : "z", 1) != 1)
					die("cannot write data", archive_error_string(a));
			ok = 1;
		}
		archive_entry_free(e);
		free(name);
		free(target);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		ok = 0;
	archive_write_free(a);
	return ok;
}

static void run_one(const uint8_t *data, size_t size)
{
	struct rb_extract_opts o;
	struct rb_manifest m;
	struct rb_error err;
	int fd = fresh_dest(), r;

	rb_extract_opts_default(&o);
	o.limits.max_entries = 5000;
	o.limits.max_bytes = 32 << 20;
	o.limits.max_file_bytes = 16 << 20;
	r = rb_extract_memory(data, size, fd, &o, &err);
	rb_manifest_init(&m);
	check_all(fd, dest_path, r == 0 ? &m : NULL);
	if (r == 0) {
		/*
		 * It passed: again, against the manifest of what came out,
		 * which must pass too (and exercises the checks).
		 */
		if (rb_manifest_sort(&m))
			die("a file extracted twice", rb_manifest_sort(&m));
		remove_dest(fd);
		fd = fresh_dest();
		o.manifest = &m;
		r = rb_extract_memory(data, size, fd, &o, &err);
		check_all(fd, dest_path, NULL);
		if (r < 0)
			die("refused against its own manifest", err.msg);
	}
	rb_manifest_release(&m);
	remove_dest(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf ar = STRBUF_INIT;

	run_one(data, size);
	if (script_archive(data, size, &ar))
		run_one((const uint8_t *)ar.buf, ar.len);
	sb_release(&ar);
	return 0;
}
