#include "selfextract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assemble.h"
#include "manifest.h"
#include "templates.h"
#include "util.h"

#define TEMPLATE "run_header.sh"
#define SHEBANG "#!/bin/sh\nRB_RUN_SHA256='"
#define SUM_LEN 64
/* What the header starts with until its sum is known. */
#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

/* s as one sh word, in single quotes: ' becomes '\''. */
static char *sh_quote(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	sb_addc(&sb, '\'');
	for (; *s; s++)
		if (*s == '\'')
			sb_adds(&sb, "'\\''");
		else
			sb_addc(&sb, *s);
	sb_addc(&sb, '\'');
	return sb_detach(&sb);
}

static const char *compression_of(const char *tarball)
{
	if (has_suffix(tarball, ".tar.gz"))
		return "gzip";
	if (has_suffix(tarball, ".tar.zst"))
		return "zstd";
	if (has_suffix(tarball, ".tar"))
		return "none";
	return NULL;
}

/*
 * The header for a payload of size bytes with SHA-256 payload_hex, its
 * sum still zeros.  RB_RUN_HEADER_SIZE is its own length: rendered until
 * the number written is the length it gives (the digits can only grow,
 * so this ends after a few rounds).
 */
static int make_header(struct strbuf *hdr, const char *name, const char *vsn,
		       const char *compression, const char *payload_hex,
		       long long size, struct rb_error *err)
{
	const struct rb_template *tpl = rb_template_find(TEMPLATE);
	char size_s[32], header_size[32] = "0";
	char *qname = sh_quote(name), *qvsn = sh_quote(vsn);
	const char *const keys[] = {
		"SHA256", ZEROS, "NAME", qname, "VSN", qvsn,
		"PAYLOAD_SHA256", payload_hex, "PAYLOAD_SIZE", size_s,
		"HEADER_SIZE", header_size, "COMPRESSION", compression, NULL,
	};
	int ret = -1;

	snprintf(size_s, sizeof(size_s), "%lld", size);
	if (!tpl) {
		rb_fail(err, "templates/" TEMPLATE " is not built in");
		goto out;
	}
	for (int round = 0;; round++) {
		char len[32], *text = rb_render(tpl->data, keys);

		sb_reset(hdr);
		sb_adds(hdr, text);
		free(text);
		snprintf(len, sizeof(len), "%zu", hdr->len);
		if (!strcmp(len, header_size))
			break;
		if (round == 8) {
			rb_fail(err, "templates/" TEMPLATE ": its length does not settle");
			goto out;
		}
		memcpy(header_size, len, sizeof(len));
	}
	/* The sum's place is fixed: the header checks the bytes around it. */
	if (hdr->len < RB_RUN_SUM_AT + SUM_LEN + 2 ||
	    memcmp(hdr->buf, SHEBANG ZEROS "'\n", RB_RUN_SUM_AT + SUM_LEN + 2)) {
		rb_fail(err, "templates/" TEMPLATE " must begin with the lines #!/bin/sh and RB_RUN_SHA256='@SHA256@'");
		goto out;
	}
	ret = 0;
out:
	free(qname);
	free(qvsn);
	return ret;
}

/*
 * Write hdr and then the tarball from fd to out_fd, and the SHA-256 of
 * what RB_RUN_SHA256 covers in its place; the tarball must still be the
 * size bytes with SHA-256 payload_hex it was.
 */
static int write_run(int out_fd, const char *tmp, const struct strbuf *hdr,
		     int fd, const char *tarball, long long size,
		     const char *payload_hex, struct rb_error *err)
{
	struct rb_sha256 whole = { NULL }, again = { NULL };
	char sum[RB_SHA256_HEX], again_hex[RB_SHA256_HEX];
	char *buf = xmalloc(1 << 18);
	long long copied = 0;
	int ret = -1;

	if (rb_sha256_init(&whole, err) < 0 || rb_sha256_init(&again, err) < 0 ||
	    rb_sha256_update(&whole, hdr->buf, RB_RUN_SUM_AT, err) < 0 ||
	    rb_sha256_update(&whole, hdr->buf + RB_RUN_SUM_AT + SUM_LEN,
			     hdr->len - RB_RUN_SUM_AT - SUM_LEN, err) < 0)
		goto out;
	if (write_all(out_fd, hdr->buf, hdr->len) < 0) {
		rb_fail_errno(err, "cannot write '%s'", tmp);
		goto out;
	}
	for (;;) {
		ssize_t n = read_retry(fd, buf, 1 << 18);

		if (n < 0) {
			rb_fail_errno(err, "cannot read '%s'", tarball);
			goto out;
		}
		if (n == 0)
			break;
		if (rb_sha256_update(&whole, buf, (size_t)n, err) < 0 ||
		    rb_sha256_update(&again, buf, (size_t)n, err) < 0)
			goto out;
		if (write_all(out_fd, buf, (size_t)n) < 0) {
			rb_fail_errno(err, "cannot write '%s'", tmp);
			goto out;
		}
		copied += n;
	}
	if (rb_sha256_final(&whole, sum, err) < 0 ||
	    rb_sha256_final(&again, again_hex, err) < 0)
		goto out;
	if (copied != size || strcmp(again_hex, payload_hex)) {
		rb_fail(err, "'%s' changed while it was read", tarball);
		goto out;
	}
	if (pwrite(out_fd, sum, SUM_LEN, RB_RUN_SUM_AT) != SUM_LEN) {
		rb_fail_errno(err, "cannot write '%s'", tmp);
		goto out;
	}
	ret = 0;
out:
	rb_sha256_release(&whole);
	rb_sha256_release(&again);
	free(buf);
	return ret;
}

int rb_write_executable(const char *tarball, const char *out,
			const char *name, const char *vsn,
			struct rb_error *err)
{
	const char *compression = compression_of(tarball);
	struct strbuf hdr = STRBUF_INIT;
	char payload_hex[RB_SHA256_HEX];
	char *dir = NULL, *tmp = NULL;
	struct stat st;
	int fd = -1, out_fd = -1, r, ret = -1;

	if (!compression)
		return rb_fail(err, "'%s': not a .tar.gz, .tar.zst or .tar", tarball);
	/* both name directories the header makes, and bin/<name> */
	if (!is_path_component(name) || !is_path_component(vsn))
		return rb_fail(err, "cannot write an executable of release '%s' version '%s': each must be one path component",
			       name, vsn);
	fd = open(tarball, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rb_fail_errno(err, "cannot open '%s'", tarball);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rb_fail_errno(err, "cannot stat '%s'", tarball);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rb_fail(err, "'%s' is %s, not a tarball", tarball, file_kind(st.st_mode));
		goto out;
	}
	if (rb_sha256_fd(fd, tarball, payload_hex, err) < 0)
		goto out;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		rb_fail_errno(err, "cannot read '%s'", tarball);
		goto out;
	}
	if (make_header(&hdr, name, vsn, compression, payload_hex,
			(long long)st.st_size, err) < 0)
		goto out;

	dir = path_dir(out);
	tmp = xasprintf("%s/.relbuild-tmp-XXXXXX", dir);
	out_fd = mkostemp(tmp, O_CLOEXEC);
	if (out_fd < 0) {
		rb_fail_errno(err, "cannot create a temporary file in '%s'", dir);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (write_run(out_fd, tmp, &hdr, fd, tarball, (long long)st.st_size,
		      payload_hex, err) < 0)
		goto out;
	/* No fsync, as for the tarball: a build leaves durability to the fs. */
	if (fchmod(out_fd, 0755) < 0) {
		rb_fail_errno(err, "cannot write '%s'", tmp);
		goto out;
	}
	r = close(out_fd);
	out_fd = -1;
	if (r < 0) {
		rb_fail_errno(err, "cannot write '%s'", tmp);
		goto out;
	}
	if (rename(tmp, out) < 0) {
		rb_fail_errno(err, "cannot rename '%s' to '%s'", tmp, out);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	ret = 0;
out:
	if (out_fd >= 0)
		close(out_fd);
	if (tmp)
		unlink(tmp);
	if (fd >= 0)
		close(fd);
	sb_release(&hdr);
	free(tmp);
	free(dir);
	return ret;
}
