#include "assemble.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps.h"
#include "beam.h"
#include "boot.h"
#include "cleanup.h"
#include "mixconfig.h"
#include "systemd.h"
#include "templates.h"
#include "term.h"
#include "util.h"

char *rb_render(const char *text, const char *const *keys)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = text;

	while (*p) {
		const char *at = strchr(p, '@'), *end;
		int done = 0;

		if (!at) {
			sb_adds(&sb, p);
			break;
		}
		sb_add(&sb, p, (size_t)(at - p));
		end = strchr(at + 1, '@');
		if (end) {
			size_t klen = (size_t)(end - at - 1);

			for (const char *const *k = keys; *k; k += 2) {
				if (strlen(k[0]) == klen && !strncmp(k[0], at + 1, klen)) {
					sb_adds(&sb, k[1]);
					p = end + 1;
					done = 1;
					break;
				}
			}
		}
		if (!done) {
			sb_addc(&sb, '@');
			p = at + 1;
		}
	}
	return sb_detach(&sb);
}

/* A path from the config, relative to the project, must stay inside. */
static char *project_path(const struct rb_project *proj, const char *rel)
{
	if (rel[0] == '/')
		return xstrdup(rel);
	return path_join(proj->root, rel);
}

static int check_relative(const char *what, const char *path,
			  struct rb_error *err)
{
	const char *p = path;

	if (path[0] == '/' || !path[0])
		return rb_error(err, RB_ECONFIG,
				"%s: '%s' must be a relative path inside the release",
				what, path);
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && !strncmp(p, "..", 2))
			return rb_error(err, RB_ECONFIG,
					"%s: '%s' must not leave the release",
					what, path);
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

/*
 * Remove the stages and unpacked old releases that builds killed
 * outright (SIGKILL, a power cut) left in out_dir; called with the lock
 * held, so that no running build owns them.
 */
static int sweep_stale(const char *out_dir, const char *name,
		       struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;
	char *stage = xasprintf(".%s.tmp-", name);
	int ret = -1;

	if (list_dir(out_dir, &names, err) < 0)
		goto out;
	for (size_t i = 0; i < names.nr; i++) {
		char *sub;
		int r;

		if (!has_prefix(names.v[i], stage) &&
		    !has_prefix(names.v[i], ".relbuild-upgrade-"))
			continue;
		sub = path_join(out_dir, names.v[i]);
		r = remove_tree(sub, err);
		free(sub);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	free(stage);
	strvec_clear(&names);
	return ret;
}

/* Hold out_dir's lock for this process's life: one build at a time. */
static int lock_out_dir(const char *out_dir, int *fd, struct rb_error *err)
{
	*fd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return rb_fail_errno(err, "cannot open '%s'", out_dir);
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return rb_fail(err, "another relbuild is building in '%s': nothing was built; run again once it has finished",
			       out_dir);
	return rb_fail_errno(err, "cannot lock '%s'", out_dir);
}

/*
 * The other versions of the release at final (releases/<vsn>/, with
 * their tarballs, for --upgrade), hard-linked into the stage.
 */
static int carry_versions(const char *final, const char *stage,
			  const char *vsn, struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;
	char *from = path_join(final, "releases");
	char *to = path_join(stage, "releases");
	int ret = -1;

	if (!is_dir(from)) {
		ret = 0;
		goto out;
	}
	if (list_dir(from, &names, err) < 0)
		goto out;
	for (size_t i = 0; i < names.nr; i++) {
		char *a = path_join(from, names.v[i]);
		char *b = path_join(to, names.v[i]);
		int r = 0;

		if (strcmp(names.v[i], vsn) && is_dir(a))
			r = copy_tree_with(a, b, link_or_copy, err);
		free(a);
		free(b);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	strvec_clear(&names);
	free(from);
	free(to);
	return ret;
}

/* out->final locked, swept, and an empty stage made for it. */
static int make_stage(struct rb_assembly *out, const char *vsn,
		      struct rb_error *err)
{
	char *out_dir = path_dir(out->final);
	int ret = -1;

	if (mkdir_p(out_dir, err) < 0 ||
	    lock_out_dir(out_dir, &out->lock_fd, err) < 0 ||
	    sweep_stale(out_dir, out->name, err) < 0)
		goto out;
	out->root = xasprintf("%s/.%s.tmp-XXXXXX", out_dir, out->name);
	if (!mkdtemp(out->root)) {
		rb_fail_errno(err, "cannot create a directory in '%s'", out_dir);
		goto out;
	}
	if (rb_cleanup_add(out->root) < 0) {
		rb_fail(err, "'%s': too many temporary directories", out->root);
		remove_tree(out->root, NULL);
		goto out;
	}
	if (chmod(out->root, 0755) < 0) {
		rb_fail_errno(err, "cannot chmod '%s'", out->root);
		goto out;
	}
	ret = carry_versions(out->final, out->root, vsn, err);
out:
	free(out_dir);
	return ret;
}

int rb_assembly_commit(struct rb_assembly *out, struct rb_error *err)
{
	char *stage = out->root;

	if (renameat2(AT_FDCWD, stage, AT_FDCWD, out->final, RENAME_EXCHANGE) < 0) {
		/* nothing there yet, or a file system without the exchange */
		if (errno == ENOENT) {
			if (rename(stage, out->final) < 0)
				return rb_fail_errno(err, "cannot rename '%s' to '%s'",
						     stage, out->final);
		} else if (remove_tree(out->final, err) < 0 ||
			   rename(stage, out->final) < 0) {
			return rb_fail_errno(err, "cannot rename '%s' to '%s'",
					     stage, out->final);
		}
	}
	/* the stage's path now holds the old release, if there was one */
	remove_tree(stage, NULL);
	rb_cleanup_forget(stage);
	out->root = xstrdup(out->final);
	free(out->rel_dir);
	out->rel_dir = xasprintf("%s/releases/%s", out->root, out->vsn);
	free(stage);
	return 0;
}

char *rb_assembly_final_path(const struct rb_assembly *out, const char *path)
{
	size_t n = strlen(out->root);

	if (strncmp(path, out->root, n) || (path[n] && path[n] != '/'))
		return xstrdup(path);
	return xasprintf("%s%s", out->final, path + n);
}

/* A file of ebin/: a .beam without its debug information, else as is. */
static int copy_stripped(const char *from, const char *to, struct rb_error *err)
{
	if (has_suffix(from, ".beam"))
		return rb_beam_strip_file(from, to, err);
	return copy_file(from, to, err);
}

/* Copy ebin/, stripping debug information from .beam files if asked. */
static int copy_ebin(const char *from, const char *to, int strip,
		     struct rb_error *err)
{
	return copy_tree_with(from, to, strip ? copy_stripped : copy_file, err);
}

static int copy_app(const struct rb_plan *plan, const struct rb_app *app,
		    const char *lib, struct rb_error *err)
{
	static const char *const always[] = { "priv", "include", NULL };
	static const char *const sources[] = { "src", "c_src", "lib", NULL };
	char *dest = xasprintf("%s/%s-%s", lib, app->name, app->vsn);
	char *from = NULL, *to = NULL;
	int ret = -1;

	if (plan->dev_mode) {
		if (symlink(app->dir, dest) < 0) {
			rb_fail_errno(err, "cannot link '%s'", dest);
			goto out;
		}
		ret = 0;
		goto out;
	}
	from = path_join(app->dir, "ebin");
	to = path_join(dest, "ebin");
	if (copy_ebin(from, to, plan->strip_debug_info, err) < 0)
		goto out;
	for (const char *const *d = always; *d; d++) {
		free(from);
		free(to);
		from = path_join(app->dir, *d);
		to = path_join(dest, *d);
		if (is_dir(from) && copy_tree(from, to, err) < 0)
			goto out;
	}
	for (const char *const *d = sources; plan->include_src && *d; d++) {
		free(from);
		free(to);
		from = path_join(app->dir, *d);
		to = path_join(dest, *d);
		if (is_dir(from) && copy_tree(from, to, err) < 0)
			goto out;
	}
	ret = 0;
out:
	free(dest);
	free(from);
	free(to);
	return ret;
}

/*
 * A file of erts-<vsn>/bin, except yielding_c_fun: a C source transformer
 * (220 KB) that OTP's own build runs; nothing runs it in a release.
 */
static int copy_erts_file(const char *from, const char *to,
			  struct rb_error *err)
{
	const char *base = strrchr(from, '/');

	if (!strcmp(base ? base + 1 : from, "yielding_c_fun"))
		return 0;
	return copy_file(from, to, err);
}

/*
 * erts-<vsn>/bin alone, as mix release copies it: lib/ (static libraries)
 * and include/ (headers) are for building NIFs and ports against this
 * runtime, and nothing reads them at run time.
 */
static int copy_erts(const struct rb_runtime *rt, const char *root,
		     struct rb_error *err)
{
	char *from = xasprintf("%s/erts-%s/bin", rt->otp_root, rt->erts_vsn);
	char *to = xasprintf("%s/erts-%s/bin", root, rt->erts_vsn);
	int ret = is_dir(from) ? copy_tree_with(from, to, copy_erts_file, err) : 0;

	free(from);
	free(to);
	return ret;
}

/* The .rel term for apps, with the given start type override (or -1). */
static char *rel_text(const char *name, const char *vsn, const char *erts_vsn,
		      const struct rb_app_list *apps, int clean)
{
	struct rb_term *rel, *list;
	struct strbuf sb = STRBUF_INIT;

	list = rb_term_new(RB_TERM_LIST);
	for (size_t i = 0; i < apps->nr; i++) {
		const struct rb_app *app = &apps->v[i];
		enum rb_start_type type = app->type;
		struct rb_term *t;

		/* start_clean, as mix release makes it: every code path,
		 * nothing but kernel and stdlib loaded, so that eval and
		 * command code may Application.load/1 the project itself */
		if (clean)
			type = (!strcmp(app->name, "kernel") ||
				!strcmp(app->name, "stdlib")) ?
				       RB_START_PERMANENT : RB_START_NONE;
		if (type == RB_START_PERMANENT)
			t = rb_term_tuple(2, rb_term_new_atom(app->name),
					  rb_term_new_string(app->vsn));
		else
			t = rb_term_tuple(3, rb_term_new_atom(app->name),
					  rb_term_new_string(app->vsn),
					  rb_term_new_atom(rb_start_type_name(type)));
		rb_term_push(list, t);
	}
	rel = rb_term_tuple(4, rb_term_new_atom("release"),
			    rb_term_tuple(2, rb_term_new_string(name),
					  rb_term_new_string(vsn)),
			    rb_term_tuple(2, rb_term_new_atom("erts"),
					  rb_term_new_string(erts_vsn)),
			    list);
	rb_term_format_pretty(rel, &sb, 0);
	sb_adds(&sb, ".\n");
	rb_term_free(rel);
	return sb_detach(&sb);
}

static int write_text(const char *dir, const char *name, const char *text,
		      mode_t mode, struct rb_error *err)
{
	char *path = path_join(dir, name);
	int ret = write_file(path, text, strlen(text), mode, err);

	free(path);
	return ret;
}

/* <root>/<name>.service (systemd: in the config). */
static int write_systemd_unit(const struct rb_plan *plan, const char *root,
			      struct rb_error *err)
{
	struct rb_systemd_unit u = {
		plan->release, plan->systemd_root, plan->systemd_user,
		plan->systemd_group,
	};
	char *text = NULL, *name = NULL;
	int ret = -1;

	if (rb_systemd_render(&u, &text, err) < 0)
		goto out;
	name = rb_systemd_unit_file(plan->release);
	ret = write_text(root, name, text, 0644, err);
out:
	free(text);
	free(name);
	return ret;
}

static const char default_vm_args[] =
	"## Flags for the VM: https://www.erlang.org/doc/man/erl.html\n"
	"## -name/-sname come from RELEASE_NODE and RELEASE_DISTRIBUTION, the cookie\n"
	"## from RELEASE_COOKIE (never on the command line): do not set them here.\n"
	"\n"
	"## More ports and sockets\n"
	"##+Q 65536\n";

/* A configuration file: copy_file(), never executable. */
static int copy_data_file(const char *from, const char *to,
			  struct rb_error *err)
{
	struct stat st;

	if (copy_file(from, to, err) < 0)
		return -1;
	if (stat(to, &st) < 0 ||
	    chmod(to, rb_normal_mode(st.st_mode & ~(mode_t)0111)) < 0)
		return rb_fail_errno(err, "cannot chmod '%s'", to);
	return 0;
}

static int copy_config_file(const struct rb_project *proj, const char *src,
			    const char *dst, const char *fallback,
			    struct rb_error *err)
{
	char *path;
	int ret;

	if (!src)
		return write_file(dst, fallback, strlen(fallback), 0644, err);
	path = project_path(proj, src);
	if (!is_file(path)) {
		ret = rb_error(err, RB_ECONFIG, "'%s' does not exist", src);
	} else {
		ret = copy_data_file(path, dst, err);
	}
	free(path);
	return ret;
}

/* Whether sys.config comes from config/config.exs, as in mix release. */
static int sys_config_from_mix(const struct rb_project *proj)
{
	return proj->kind == RB_PROJECT_MIX && rb_mixconfig_exists(proj->root);
}

/*
 * releases/<vsn>/sys.config: for a mix project with config/config.exs,
 * made from it as mix release does (merged over sys_config when given;
 * rb_assembly_start() started that); otherwise sys_config as is, or
 * "[]."
 */
static int write_sys_config(const struct rb_plan *plan,
			    const struct rb_project *proj,
			    struct rb_assembly *out, const char *dst,
			    struct rb_error *err)
{
	out->sys_config_from_mix = out->mix_started;
	if (!out->mix_started)
		return copy_config_file(proj, plan->sys_config, dst, "[].\n", err);
	out->mix_started = 0;
	return rb_mixconfig_finish(&out->mix, dst, err);
}

/*
 * A mix project's config/runtime.exs, as releases/<vsn>/runtime.exs: the
 * control script evaluates it at every boot (as mix release does), so
 * its System.fetch_env!/1 calls read the server's environment.
 */
static int copy_runtime_config(const struct rb_project *proj,
			       struct rb_assembly *out, struct rb_error *err)
{
	char *src = path_join(proj->root, RB_MIX_RUNTIME_CONFIG);
	char *dst = path_join(out->rel_dir, "runtime.exs");
	int ret = 0;

	if (proj->kind == RB_PROJECT_MIX && is_file(src)) {
		ret = copy_data_file(src, dst, err);
		out->runtime_config = !ret;
	}
	free(dst);
	free(src);
	return ret;
}

static int copy_named(const struct rb_project *proj,
		      const struct rb_named_path *v, size_t nr,
		      const char *dest_dir, int want_dir, struct rb_error *err)
{
	for (size_t i = 0; i < nr; i++) {
		char *src = project_path(proj, v[i].path);
		char *dst = path_join(dest_dir, v[i].name);
		int r;

		if (want_dir && !is_dir(src))
			r = rb_error(err, RB_ECONFIG, "hook '%s': '%s' is not a directory",
				     v[i].name, v[i].path);
		else if (!want_dir && !is_file(src))
			r = rb_error(err, RB_ECONFIG, "command '%s': '%s' is not a file",
				     v[i].name, v[i].path);
		else if (want_dir)
			r = copy_tree(src, dst, err);
		else
			r = mkdir_p(dest_dir, err) < 0 ? -1 : copy_file(src, dst, err);
		free(src);
		free(dst);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int apply_overlays(const struct rb_plan *plan,
			  const struct rb_project *proj, const char *root,
			  const char *const *vars, struct rb_error *err)
{
	for (size_t i = 0; i < plan->nr_overlays; i++) {
		const struct rb_overlay *o = &plan->overlays[i];
		char *to, *from = NULL, *text = NULL, *out = NULL, *parent;
		int r = -1;

		if (check_relative("overlay", o->to, err) < 0)
			return -1;
		to = path_join(root, o->to);
		if (o->kind == RB_OVERLAY_MKDIR) {
			r = mkdir_p(to, err);
			free(to);
			if (r < 0)
				return -1;
			continue;
		}
		from = project_path(proj, o->from);
		parent = xstrdup(to);
		*strrchr(parent, '/') = '\0';
		if (!path_exists(from)) {
			rb_error(err, RB_ECONFIG, "overlay: '%s' does not exist", o->from);
		} else if (mkdir_p(parent, err) < 0) {
			;
		} else if (o->kind == RB_OVERLAY_COPY) {
			r = is_dir(from) ? copy_tree(from, to, err) :
					   copy_file(from, to, err);
		} else if (read_file(from, &text, NULL, err) == 0) {
			struct stat st;

			out = rb_render(text, vars);
			r = write_file(to, out, strlen(out),
				       stat(from, &st) == 0 && (st.st_mode & 0111) ?
					       0755 : 0644, err);
		}
		free(parent);
		free(from);
		free(to);
		free(text);
		free(out);
		if (r < 0)
			return -1;
	}
	return 0;
}

/*
 * Elixir's consolidated protocols: _build/<env>/consolidated in an
 * umbrella, else the build directory of the app that holds them (mix).
 */
static char *find_consolidated(const struct rb_project *proj,
			       const struct rb_app_list *apps)
{
	if (proj->kind != RB_PROJECT_MIX)
		return NULL;
	if (proj->umbrella) {
		char *dir = xasprintf("%s/../consolidated", proj->build_lib);

		if (is_dir(dir))
			return dir;
		free(dir);
	}
	for (size_t i = 0; i < apps->nr; i++) {
		char *dir = path_join(apps->v[i].dir, "consolidated");

		if (has_prefix(apps->v[i].dir, proj->build_lib) && is_dir(dir))
			return dir;
		free(dir);
	}
	return NULL;
}

static int uses_elixir(const struct rb_app_list *apps)
{
	for (size_t i = 0; i < apps->nr; i++)
		if (!strcmp(apps->v[i].name, "elixir"))
			return 1;
	return 0;
}

char *rb_release_root(const struct rb_plan *plan, const struct rb_project *proj)
{
	char *out_dir, *root;

	out_dir = plan->output_dir ? project_path(proj, plan->output_dir) :
		  xasprintf("%s/_build/%s/rel", proj->root, plan->env);
	root = path_join(out_dir, plan->release);
	free(out_dir);
	return root;
}

int rb_assemble(const struct rb_plan *plan, const struct rb_project *proj,
		const struct rb_runtime *rt, const struct rb_app_list *apps,
		struct rb_assembly *out, struct rb_error *err)
{
	char *lib = NULL, *bin = NULL, *releases = NULL;
	char *path = NULL, *text = NULL, *cons = NULL, *ctl_dir = NULL;
	const struct rb_template *tpl;
	int ret = -1;

	/* all but the VMs, which may be running already */
	{
		struct rb_assembly vms = *out;

		memset(out, 0, sizeof(*out));
		out->boot = vms.boot;
		out->boot_started = vms.boot_started;
		out->mix = vms.mix;
		out->mix_started = vms.mix_started;
		out->meanwhile = vms.meanwhile;
		out->meanwhile_data = vms.meanwhile_data;
		out->progress = vms.progress;
	}
	out->lock_fd = -1;
	if (rb_assembly_start(plan, proj, rt, out, err) < 0)
		goto out;
	out->name = xstrdup(plan->release);
	out->vsn = xstrdup(plan->version);
	out->erts_vsn = xstrdup(rt->erts_vsn);
	out->final = rb_release_root(plan, proj);
	if (make_stage(out, plan->version, err) < 0)
		goto out;
	releases = path_join(out->root, "releases");
	out->rel_dir = path_join(releases, plan->version);
	lib = path_join(out->root, "lib");
	bin = path_join(out->root, "bin");

	if (mkdir_p(lib, err) < 0 || mkdir_p(bin, err) < 0 ||
	    mkdir_p(out->rel_dir, err) < 0)
		goto out;

	for (size_t i = 0; i < apps->nr; i++) {
		if (copy_app(plan, &apps->v[i], lib, err) < 0)
			goto out;
		rb_progress_report(out->progress, i + 1, 0, 0);
	}

	if (plan->include_erts && copy_erts(rt, out->root, err) < 0)
		goto out;

	/* bin/<name> */
	{
		const char *vars[] = {
			"REL_NAME", plan->release,
			"REL_LANG", uses_elixir(apps) ? "elixir" : "erlang",
			"REL_ENV", plan->env,
			NULL,
		};

		free(text);
		tpl = rb_template_find("bin.sh");
		text = rb_render(tpl->data, vars);
		if (write_text(bin, plan->release, text, 0755, err) < 0)
			goto out;
		free(text);
		tpl = rb_template_find("nodetool.sh");
		text = rb_render(tpl->data, vars);
		if (write_text(bin, "nodetool", text, 0755, err) < 0)
			goto out;
		free(text);
		text = NULL;
	}
	/*
	 * <name>.service beside bin/, where `systemctl link` finds it
	 * through <root>/current whatever the version.  Written before
	 * the tarball begins: it may sort among bin/, erts-* and lib/.
	 */
	if (plan->systemd && write_systemd_unit(plan, out->root, err) < 0)
		goto out;

	/* releases/<vsn>/: what the boot scripts are made from, first */
	text = rel_text(plan->release, plan->version, rt->erts_vsn, apps, 0);
	path = xasprintf("%s.rel", plan->release);
	if (write_text(out->rel_dir, path, text, 0644, err) < 0)
		goto out;
	free(text);
	text = rel_text(plan->release, plan->version, rt->erts_vsn, apps, 1);
	if (write_text(out->rel_dir, "start_clean.rel", text, 0644, err) < 0)
		goto out;
	free(path);
	path = NULL;

	/* the boot scripts and the control script's helper, made meanwhile */
	ctl_dir = path_join(out->rel_dir, "ctl");
	if (mkdir_p(ctl_dir, err) < 0)
		goto out;
	{
		struct rb_boot_job job = {
			.rel_dir = out->rel_dir,
			.rel_name = plan->release,
			.lib_dir = lib,
			.ctl_dir = ctl_dir,
		};

		rb_boot_send(&out->boot, &job);
	}
	if (out->meanwhile && out->meanwhile(out->meanwhile_data, out, err) < 0)
		goto out;

	path = path_join(out->rel_dir, "vm.args");
	if (copy_config_file(proj, plan->vm_args, path, default_vm_args, err) < 0)
		goto out;
	free(path);
	path = path_join(out->rel_dir, "remote.vm.args");
	if (plan->remote_vm_args &&
	    copy_config_file(proj, plan->remote_vm_args, path, NULL, err) < 0)
		goto out;
	free(path);
	path = path_join(out->rel_dir, "env.sh");
	if (plan->env_sh && copy_config_file(proj, plan->env_sh, path, NULL, err) < 0)
		goto out;
	free(path);
	path = path_join(out->rel_dir, "sys.config");
	if (write_sys_config(plan, proj, out, path, err) < 0)
		goto out;
	if (copy_runtime_config(proj, out, err) < 0)
		goto out;
	cons = find_consolidated(proj, apps);
	if (cons) {
		free(path);
		path = path_join(out->rel_dir, "consolidated");
		if (copy_ebin(cons, path, plan->strip_debug_info, err) < 0)
			goto out;
	}
	free(path);
	path = path_join(out->rel_dir, "hooks");
	if (copy_named(proj, plan->hooks, plan->nr_hooks, path, 1, err) < 0)
		goto out;
	free(path);
	path = path_join(out->rel_dir, "commands");
	if (copy_named(proj, plan->commands, plan->nr_commands, path, 0, err) < 0)
		goto out;

	/* releases/ */
	free(text);
	/* As release_handler writes it when it makes a release permanent. */
	text = xasprintf("%s %s", rt->erts_vsn, plan->version);
	if (write_text(releases, "start_erl.data", text, 0644, err) < 0)
		goto out;
	/*
	 * Without a configured cookie none is shipped: a secret has no place
	 * in an artifact, and a random one would make every build differ.
	 * The control script makes one on the server at first need.
	 */
	if (plan->cookie &&
	    write_text(releases, "COOKIE", plan->cookie, 0600, err) < 0)
		goto out;

	/* overlays may replace what systools reads: it is done first */
	out->boot_started = 0;
	if (rb_boot_wait(&out->boot, err) < 0)
		goto out;
	{
		const char *vars[] = {
			"RELEASE_NAME", plan->release,
			"RELEASE_VSN", plan->version,
			"ERTS_VSN", rt->erts_vsn,
			"RELEASE_ENV", plan->env,
			NULL,
		};

		if (apply_overlays(plan, proj, out->root, vars, err) < 0)
			goto out;
	}
	ret = 0;
out:
	free(lib);
	free(bin);
	free(releases);
	free(path);
	free(text);
	free(cons);
	free(ctl_dir);
	return ret;
}

int rb_assembly_start(const struct rb_plan *plan, const struct rb_project *proj,
		      const struct rb_runtime *rt, struct rb_assembly *out,
		      struct rb_error *err)
{
	if (!out->boot_started) {
		if (rb_boot_start(&out->boot, rt->erl, err) < 0)
			return -1;
		out->boot_started = 1;
	}
	if (!out->mix_started && !out->sys_config_from_mix &&
	    sys_config_from_mix(proj)) {
		if (plan->sys_config) {
			char *path = project_path(proj, plan->sys_config);
			int ok = is_file(path);

			free(path);
			if (!ok)
				return rb_error(err, RB_ECONFIG, "'%s' does not exist",
						plan->sys_config);
		}
		if (rb_mixconfig_start(&out->mix, proj->root, plan->env,
				       plan->sys_config, err) < 0)
			return -1;
		out->mix_started = 1;
	}
	return 0;
}

void rb_assembly_release(struct rb_assembly *a)
{
	if (a->boot_started)
		rb_boot_abort(&a->boot);
	if (a->mix_started)
		rb_mixconfig_abort(&a->mix);
	/* lock_fd is set (maybe -1) once rb_assemble() has set final */
	if (a->final && a->lock_fd >= 0)
		close(a->lock_fd);
	free(a->final);
	free(a->root);
	free(a->rel_dir);
	free(a->name);
	free(a->vsn);
	free(a->erts_vsn);
	memset(a, 0, sizeof(*a));
}
