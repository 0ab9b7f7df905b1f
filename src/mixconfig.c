/*
 * sys.config from a mix project's config/config.exs, the way mix release
 * makes it: one run of elixir evaluates the config with Config.Reader and
 * merges it over the configured sys.config (if any).
 */
#include "mixconfig.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * Run with `elixir -e PROGRAM -- CONFIG ENV OUT BASE` in the project
 * root: paths come from System.argv, never quoted into the code.  BASE's
 * ${VAR} placeholders (in strings or bare) become atoms while its terms
 * are read and merged, and are put back in the output.  A failure prints
 * one "relbuild-error: " line and exits 1.
 */
static const char mixconfig_program[] =
	"[path, env, out, base] = System.argv()\n"
	"die = fn msg ->\n"
	"  IO.puts(\"relbuild-error: \" <> Enum.join(String.split(msg, ~r/\\s*\\n\\s*/, trim: true), \" \"))\n"
	"  System.halt(1)\n"
	"end\n"
	"parse = fn text ->\n"
	"  with {:ok, toks, _} <- :erl_scan.string(String.to_charlist(text)),\n"
	"       {:ok, term} <- :erl_parse.parse_term(toks) do\n"
	"    {:ok, term}\n"
	"  else\n"
	"    {:error, {line, mod, desc}, _} -> {:error, \"#{line}: #{mod.format_error(desc)}\"}\n"
	"    {:error, {line, mod, desc}} -> {:error, \"#{line}: #{mod.format_error(desc)}\"}\n"
	"  end\n"
	"end\n"
	"env = String.to_atom(env)\n"
	"config =\n"
	"  try do\n"
	"    Mix.start()\n"
	"    Mix.env(env)\n"
	"    Mix.target(:host)\n"
	"    Config.Reader.read!(path, env: env, target: :host)\n"
	"  rescue\n"
	"    e -> die.(\"cannot evaluate #{path}: \" <> Exception.message(e))\n"
	"  catch\n"
	"    kind, reason -> die.(\"cannot evaluate #{path}: \" <> Exception.format_banner(kind, reason))\n"
	"  end\n"
	"re = ~r/\\$\\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}\\n]*)?\\}/\n"
	"{vars, config} =\n"
	"  if base == \"\" do\n"
	"    {{}, config}\n"
	"  else\n"
	"    text =\n"
	"      case File.read(base) do\n"
	"        {:ok, text} -> text\n"
	"        {:error, r} -> die.(\"cannot read #{base}: #{:file.format_error(r)}\")\n"
	"      end\n"
	"    vars = Regex.scan(re, text) |> Enum.map(&hd/1) |> Enum.uniq()\n"
	"    index = Map.new(Enum.with_index(vars), fn {v, i} -> {v, \"relbuild_placeholder_#{i}_\"} end)\n"
	"    terms =\n"
	"      case parse.(Regex.replace(re, text, &Map.fetch!(index, &1))) do\n"
	"        {:ok, terms} -> terms\n"
	"        {:error, msg} -> die.(\"#{base}:#{msg}\")\n"
	"      end\n"
	"    is_list(terms) || die.(\"#{base}: not a list of {Application, Settings}\")\n"
	"    {files, apps} = Enum.split_with(terms, &is_list/1)\n"
	"    merged =\n"
	"      try do\n"
	"        Config.Reader.merge(apps, config)\n"
	"      rescue\n"
	"        e -> die.(\"cannot merge #{path} into #{base}: \" <> Exception.message(e))\n"
	"      end\n"
	"    {List.to_tuple(vars), files ++ merged}\n"
	"  end\n"
	"text = IO.chardata_to_string(:io_lib.format(~c\"~tp.~n\", [config]))\n"
	"parse.(text) == {:ok, config} ||\n"
	"  die.(\"#{path}: the configuration holds values a sys.config cannot (functions, PIDs, references?)\")\n"
	"text =\n"
	"  Regex.replace(~r/relbuild_placeholder_(\\d+)_/, text, fn _, i ->\n"
	"    elem(vars, String.to_integer(i))\n"
	"  end)\n"
	"case File.write(out, \"%% coding: utf-8\\n\" <> text) do\n"
	"  :ok -> :ok\n"
	"  {:error, r} -> die.(\"cannot write #{out}: #{:file.format_error(r)}\")\n"
	"end\n";

#define ERROR_MARK "relbuild-error: "

int rb_mixconfig_exists(const char *root)
{
	char *path = path_join(root, RB_MIX_CONFIG);
	int r = is_file(path);

	free(path);
	return r;
}

/* The message of a failed run: its error line, or all of its output on one line. */
static void run_failed(const char *output, struct rb_error *err)
{
	const char *mark = NULL, *p = output;
	char *msg;
	size_t n;

	while ((p = strstr(p, ERROR_MARK)) != NULL) {
		if (p == output || p[-1] == '\n')
			mark = p;
		p += strlen(ERROR_MARK);
	}
	if (mark) {
		mark += strlen(ERROR_MARK);
		msg = xstrndup(mark, strcspn(mark, "\n"));
	} else {
		msg = xstrdup(output);
		for (char *q = msg; *q; q++)
			if (*q == '\n')
				*q = ' ';
	}
	n = strlen(msg);
	while (n && msg[n - 1] == ' ')
		msg[--n] = '\0';
	if (mark)
		rb_fail(err, "%s", msg);
	else
		rb_fail(err, "cannot evaluate " RB_MIX_CONFIG ": %s",
			*msg ? msg : "elixir failed");
	free(msg);
}

int rb_mixconfig_write(const char *root, const char *env, const char *base,
		       const char *dst, struct rb_error *err)
{
	struct strbuf out = STRBUF_INIT;
	char *elixir = which("elixir");
	int status;

	if (!elixir)
		return rb_fail(err, "cannot evaluate " RB_MIX_CONFIG ": there is no 'elixir' on PATH");
	{
		const char *argv[] = {
			elixir, "-e", mixconfig_program, "--", RB_MIX_CONFIG,
			env, dst, base ? base : "", NULL,
		};

		status = run_capture(argv, root, &out, err);
	}
	if (status > 0)
		run_failed(sb_str(&out), err);
	sb_release(&out);
	free(elixir);
	return status ? -1 : 0;
}
