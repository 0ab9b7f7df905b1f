#!/bin/bash
# relbuild inspect and relbuild diff on real releases: examples/counter
# 0.1.0, then 0.2.0 (tests/e2e/fixtures/counter-0.2.0) with a hook, a
# command, overlays and a migration, built with --upgrade and signed.
# Every field is checked, in the text and in the JSON (parsed by python3).
. "$(dirname "$0")/lib.sh"

FIX=$SRC_DIR/tests/e2e/fixtures
REL=_build/prod/rel/counter
EXPECTED_APPUP='{"0.2.0",[{"0.1.0",[{add_module,counter_fmt},{update,counter_server,{advanced,[]}}]}],[{"0.1.0",[{update,counter_server,{advanced,[]}},{delete_module,counter_fmt}]}]}'
ERTS=$(erl -noshell -eval 'io:format("~s", [erlang:system_info(version)]), halt().')

A=$T/a
copy_example counter "$A"
compile_rebar3 "$A"
build_release "$A" --env prod
cp "$A/$REL/releases/0.1.0/counter-0.1.0.tar.gz" "$T/v1.tar.gz"

# --- inspect, 0.1.0 ---------------------------------------------------
out=$("$RELBUILD" inspect "$T/v1.tar.gz") || fail "inspect 0.1.0 exited $?: $out"
assert_contains "$out" "release     counter 0.1.0" "inspect text"
assert_contains "$out" "erts        $ERTS (included, " "inspect text"
printf '%s\n' "$out" | grep -Eq '^application counter 0\.1\.0 permanent [0-9.]+ (KiB|bytes) 3 modules$' ||
	fail "inspect text: no counter application line: $out"
printf '%s\n' "$out" | grep -Eq '^application sasl [0-9.]+ permanent ' || fail "inspect text: no sasl: $out"
assert_contains "$out" "signature   none" "inspect text"
printf '%s\n' "$out" | grep -Eq '^checksums   ok \([0-9]+ files\)$' || fail "inspect text: checksums: $out"

"$RELBUILD" inspect --json "$T/v1.tar.gz" >"$T/v1.json" || fail "inspect --json 0.1.0"
python3 - "$T/v1.json" "$ERTS" <<'PY' || fail "inspect --json 0.1.0: $(cat "$T/v1.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is True and d["kind"] == "tarball", d
assert (d["name"], d["version"]) == ("counter", "0.1.0"), d
assert d["erts"]["version"] == sys.argv[2] and d["erts"]["included"] is True and d["erts"]["size"] > 0, d["erts"]
apps = [(a["name"], a["start_type"]) for a in d["applications"]]
assert apps == [("kernel", "permanent"), ("stdlib", "permanent"), ("counter", "permanent"), ("sasl", "permanent")], apps
c = d["applications"][2]
assert c["version"] == "0.1.0" and c["modules"] == 3 and c["present"] and c["size"] > 0, c
assert d["hooks"] == [] and d["commands"] == [] and d["overlays"] == [], d
assert d["signature"] == "none", d
assert d["checksums"]["status"] == "ok" and d["checksums"]["problems"] == [] and d["checksums"]["files"] > 200, d["checksums"]
assert d["error"] is None, d
PY
pass "inspect 0.1.0: text and JSON"

# --- 0.2.0 with a hook, a command, overlays, a migration; signed ------
cp "$FIX"/counter-0.2.0/src/* "$A/src/"
rm -rf "$A/_build/prod/lib/counter"
mkdir -p "$A/rel/hooks/post_start" "$A/rel/commands" "$A/rel/extra" "$A/priv/repo/migrations"
printf '#!/bin/sh\necho hi\n' >"$A/rel/hooks/post_start/10-hi.sh"
printf '#!/bin/sh\necho migrated\n' >"$A/rel/commands/migrate.sh"
chmod +x "$A/rel/hooks/post_start/10-hi.sh" "$A/rel/commands/migrate.sh"
echo notes >"$A/rel/extra/NOTES.txt"
echo 'defmodule M do end' >"$A/priv/repo/migrations/20240101000000_create.exs"
cat >>"$A/rel/config.yml" <<'YML'
    hooks:
      post_start: rel/hooks/post_start
    commands:
      migrate: rel/commands/migrate.sh
    overlays:
      - mkdir: var/empty
      - copy: { from: rel/extra/NOTES.txt, to: doc/NOTES.txt }
YML
compile_rebar3 "$A"
(cd "$T" && "$RELBUILD" keygen --out "$T/k" >/dev/null && "$RELBUILD" keygen --out "$T/other" >/dev/null) ||
	fail "keygen"
build_release "$A" --env prod --upgrade --sign "$T/k.pem"
cp "$A/$REL/releases/0.2.0/counter-0.2.0.tar.gz" "$T/v2.tar.gz"

out=$("$RELBUILD" inspect "$A/$REL") || fail "inspect 0.2.0 exited $?: $out"
assert_contains "$out" "hook        post_start 10-hi.sh" "inspect 0.2.0"
assert_contains "$out" "command     migrate" "inspect 0.2.0"
assert_contains "$out" "migration   counter 20240101000000 create 20240101000000_create.exs" "inspect 0.2.0"
assert_contains "$out" "overlay     doc/NOTES.txt (6 bytes)" "inspect 0.2.0"
assert_contains "$out" "overlay     var/empty/" "inspect 0.2.0"
assert_contains "$out" "signature   present (not checked: no --pubkey)" "inspect 0.2.0"

"$RELBUILD" inspect --json --pubkey "$T/k.pub.pem" "$T/v2.tar.gz" >"$T/v2.json" ||
	fail "inspect --json --pubkey 0.2.0: $(cat "$T/v2.json")"
python3 - "$T/v2.json" <<'PY' || fail "inspect --json 0.2.0: $(cat "$T/v2.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "0.2.0" and d["signature"] == "valid" and d["ok"], d
assert [(h["event"], h["scripts"]) for h in d["hooks"]] == [("post_start", ["releases/0.2.0/hooks/post_start/10-hi.sh"])], d["hooks"]
assert [c["name"] for c in d["commands"]] == ["migrate"], d["commands"]
c = [a for a in d["applications"] if a["name"] == "counter"][0]
assert c["version"] == "0.2.0", c
assert [(m["version"], m["name"]) for m in c["migrations"]] == [("20240101000000", "create")], c["migrations"]
assert sorted((o["path"], o["type"]) for o in d["overlays"]) == [("doc/NOTES.txt", "file"), ("var/empty", "dir")], d["overlays"]
PY
"$RELBUILD" inspect --pubkey "$T/other.pub.pem" "$T/v2.tar.gz" >"$T/out" 2>&1 &&
	fail "inspect with the wrong key exited 0: $(cat "$T/out")"
assert_contains "$(cat "$T/out")" "signature   invalid" "inspect, wrong key"
pass "inspect 0.2.0: hooks, commands, migrations, overlays, the signature valid and invalid"

# --- a tampered copy -----------------------------------------------------
mkdir "$T/x" && tar -xzf "$T/v2.tar.gz" -C "$T/x" || fail "unpack"
echo "-extra_flag" >>"$T/x/releases/0.2.0/vm.args"
"$RELBUILD" inspect "$T/x" >"$T/out" 2>&1 && fail "inspect of a tampered copy exited 0"
assert_contains "$(cat "$T/out")" "checksums   MISMATCH (1 problem)" "tampered"
assert_contains "$(cat "$T/out")" "  changed   releases/0.2.0/vm.args" "tampered"
pass "inspect of a tampered copy: exit 1, the file named"

# --- diff ----------------------------------------------------------------
out=$("$RELBUILD" diff "$T/v1.tar.gz" "$T/v2.tar.gz") || fail "diff exited $?: $out"
assert_contains "$out" "counter 0.1.0 -> counter 0.2.0" "diff text"
assert_contains "$out" "erts $ERTS (unchanged)" "diff text"
assert_contains "$out" "~ counter 0.1.0 -> 0.2.0" "diff text"
assert_contains "$out" "    + module counter_fmt" "diff text"
assert_contains "$out" "    ~ module counter_server (code_change)" "diff text"
assert_contains "$out" "+ doc/NOTES.txt  overlay" "diff text"
assert_contains "$out" "+ releases/0.2.0/hooks/post_start/10-hi.sh  hook" "diff text"
"$RELBUILD" diff --json "$T/v1.tar.gz" "$T/v2.tar.gz" >"$T/diff.json" || fail "diff --json"
python3 - "$T/diff.json" "$EXPECTED_APPUP" <<'PY' || fail "diff --json: $(cat "$T/diff.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and (d["old_version"], d["new_version"]) == ("0.1.0", "0.2.0"), d
assert d["erts"]["changed"] is False, d["erts"]
apps = {a["name"]: a for a in d["applications"]}
assert list(apps) == ["counter"], list(apps)
c = apps["counter"]
assert (c["change"], c["old_version"], c["new_version"]) == ("changed", "0.1.0", "0.2.0"), c
assert c["modules"] == {"added": ["counter_fmt"], "changed": ["counter_server"], "removed": [], "code_change": ["counter_server"]}, c["modules"]
# built with --upgrade: 0.2.0 ships the appup a build would use
assert c["appup"]["status"] == "made" and c["appup"]["source"] == "shipped", c["appup"]
assert c["appup"]["term"] == sys.argv[2], (c["appup"]["term"], sys.argv[2])
assert d["unchanged_applications"] == 3, d
files = {(f["change"], f["new_path"] or f["old_path"], f["role"]) for f in d["files"]}
assert ("added", "doc/NOTES.txt", "overlay") in files, files
assert ("added", "releases/0.2.0/hooks/post_start/10-hi.sh", "hook") in files, files
assert ("added", "releases/0.2.0/commands/migrate", "command") in files or any(p.startswith("releases/0.2.0/commands/") for (_, p, _) in files), files
PY
pass "diff 0.1.0 -> 0.2.0: the application, its modules, the appup, the files"

out=$("$RELBUILD" diff "$T/v2.tar.gz" "$T/x") || fail "diff of a tarball and its tampered copy: $out"
assert_contains "$out" "4 applications unchanged" "diff, same release"
assert_contains "$out" "~ releases/0.2.0/vm.args  generated" "diff, same release"
[ "$(printf '%s\n' "$out" | grep -c '^[~+-] ')" = 1 ] || fail "diff of a tarball and its copy: more than the one file: $out"
"$RELBUILD" diff "$T/v1.tar.gz" "$T/nope.tar.gz" >/dev/null 2>"$T/err" && fail "diff of a missing release exited 0"
assert_contains "$(cat "$T/err")" "relbuild: diff: " "diff error"
pass "diff of a release and its tampered copy: one file; a missing one: an error"

# --- the mix example: shop ----------------------------------------------
S=$T/shop
copy_example shop "$S"
compile_mix "$S"
build_release "$S" --env prod
svsn=$(cut -d' ' -f2 "$S/_build/prod/rel/shop/releases/start_erl.data")
star="$S/_build/prod/rel/shop/releases/$svsn/shop-$svsn.tar.gz"
out=$("$RELBUILD" inspect "$star") || fail "inspect shop exited $?: $out"
assert_contains "$out" "release     shop $svsn" "inspect shop"
printf '%s\n' "$out" | grep -Eq '^application runtime_tools [0-9.]+ load ' || fail "inspect shop: runtime_tools load: $out"
printf '%s\n' "$out" | grep -Eq '^application iex [0-9.]+ none ' || fail "inspect shop: iex none (as mix release adds it): $out"
assert_contains "$out" "hook        post_start migrate.sh" "inspect shop"
assert_contains "$out" "command     migrate" "inspect shop"
assert_contains "$out" "migration   shop 20240101000000 create_products 20240101000000_create_products.sql" "inspect shop"
assert_contains "$out" "migration   shop 20240102000000 add_stock 20240102000000_add_stock.sql" "inspect shop"
assert_contains "$out" "overlay     var/log/" "inspect shop"
"$RELBUILD" inspect --json "$star" >"$T/shop.json" || fail "inspect --json shop"
python3 - "$T/shop.json" "$svsn" <<'PY' || fail "inspect --json shop: $(cat "$T/shop.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert (d["name"], d["version"]) == ("shop", sys.argv[2]) and d["ok"], d
types = {a["name"]: a["start_type"] for a in d["applications"]}
for app, t in [("shop", "permanent"), ("p1_pgsql", "permanent"), ("runtime_tools", "load"),
               ("crypto", "load"), ("ssl", "load"), ("sasl", "permanent"), ("iex", "none"), ("elixir", "permanent")]:
    assert types.get(app) == t, (app, types)
shop = [a for a in d["applications"] if a["name"] == "shop"][0]
assert [m["version"] for m in shop["migrations"]] == ["20240101000000", "20240102000000"], shop["migrations"]
assert [h["event"] for h in d["hooks"]] == ["post_start"] and [c["name"] for c in d["commands"]] == ["migrate"], d
assert [(o["path"], o["type"]) for o in d["overlays"]] == [("var/log", "dir")], d["overlays"]
assert d["checksums"]["status"] == "ok", d["checksums"]
PY
out=$("$RELBUILD" diff "$star" "$S/_build/prod/rel/shop") || fail "diff shop tarball/directory: $out"
assert_eq "$(printf '%s\n' "$out" | grep -c '^[~+-] ')" 0 "diff of shop's tarball and its directory: $out"
assert_contains "$out" "applications unchanged" "diff shop"
pass "inspect and diff on the shop example: start types, hook, command, migrations, overlay; tarball = directory"
