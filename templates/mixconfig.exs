# relbuild: sys.config from a mix project's config/config.exs.
# Run by relbuild as `elixir -e <this file> -- CONFIG ENV OUT BASE` in the
# project root (see src/mixconfig.c).
[path, env, out, base] = System.argv()
die = fn msg ->
  IO.puts("relbuild-error: " <> Enum.join(String.split(msg, ~r/\s*\n\s*/, trim: true), " "))
  System.halt(1)
end
parse = fn text ->
  with {:ok, toks, _} <- :erl_scan.string(String.to_charlist(text)),
       {:ok, term} <- :erl_parse.parse_term(toks) do
    {:ok, term}
  else
    {:error, {line, mod, desc}, _} -> {:error, "#{line}: #{mod.format_error(desc)}"}
    {:error, {line, mod, desc}} -> {:error, "#{line}: #{mod.format_error(desc)}"}
  end
end
env = String.to_atom(env)
config =
  try do
    Mix.start()
    Mix.env(env)
    Mix.target(:host)
    Config.Reader.read!(path, env: env, target: :host)
  rescue
    e -> die.("cannot evaluate #{path}: " <> Exception.message(e))
  catch
    kind, reason -> die.("cannot evaluate #{path}: " <> Exception.format_banner(kind, reason))
  end
re = ~r/\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}\n]*)?\}/
{vars, config} =
  if base == "" do
    {{}, config}
  else
    text =
      case File.read(base) do
        {:ok, text} -> text
        {:error, r} -> die.("cannot read #{base}: #{:file.format_error(r)}")
      end
    vars = Regex.scan(re, text) |> Enum.map(&hd/1) |> Enum.uniq()
    index = Map.new(Enum.with_index(vars), fn {v, i} -> {v, "relbuild_placeholder_#{i}_"} end)
    terms =
      case parse.(Regex.replace(re, text, &Map.fetch!(index, &1))) do
        {:ok, terms} -> terms
        {:error, msg} -> die.("#{base}:#{msg}")
      end
    is_list(terms) || die.("#{base}: not a list of {Application, Settings}")
    {files, apps} = Enum.split_with(terms, &is_list/1)
    merged =
      try do
        Config.Reader.merge(apps, config)
      rescue
        e -> die.("cannot merge #{path} into #{base}: " <> Exception.message(e))
      end
    {List.to_tuple(vars), files ++ merged}
  end
text = IO.chardata_to_string(:io_lib.format(~c"~tp.~n", [config]))
parse.(text) == {:ok, config} ||
  die.("#{path}: the configuration holds values a sys.config cannot (functions, PIDs, references?)")
text =
  Regex.replace(~r/relbuild_placeholder_(\d+)_/, text, fn _, i ->
    elem(vars, String.to_integer(i))
  end)
case File.write(out, "%% coding: utf-8\n" <> text) do
  :ok -> :ok
  {:error, r} -> die.("cannot write #{out}: #{:file.format_error(r)}")
end
