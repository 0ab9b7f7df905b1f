#!/bin/bash
# Migrations as Ecto's migrator finds them, on a project `mix new` makes:
# priv/repo/migrations holds a README.md, files that are no migrations and
# a subdirectory of migrations.  The build passes; -v lists every
# migration with its path below priv/repo/migrations, subdirectories
# included, and notes the files that are not migrations; they all ship.
# Then one version in two places (top level and subdirectory, or two
# subdirectories) fails the build naming both files, with no tarball.
. "$(dirname "$0")/lib.sh"

proj="$T/myapp"
(cd "$T" && mix new myapp >"$T/new.log" 2>&1) || { cat "$T/new.log" >&2; fail "mix new myapp"; }
migs="$proj/priv/repo/migrations"
mkdir -p "$migs/2024/archive" "$migs/.drafts" "$proj/rel"
echo 'CREATE TABLE users (id bigint);' >"$migs/20240101000000_create_users.sql"
cat >"$migs/20240102000000_add_posts.exs" <<'EOF'
defmodule Myapp.Repo.Migrations.AddPosts do
  def change, do: :ok
end
EOF
echo 'CREATE TABLE tags (id bigint);' >"$migs/2024/20240301000000_add_tags.sql"
echo 'CREATE TABLE old (id bigint);' >"$migs/2024/archive/20240201000000_older.exs"
printf '# Migrations\nOne file a change, named <version>_<name>.exs.\n' >"$migs/README.md"
echo 'notes' >"$migs/2024/notes.txt"
# Ecto warns about a migration-shaped .ex and does not run it.
echo 'x' >"$migs/20240401000000_forgot_the_s.ex"
# Dot files and directories are not looked at (Ecto's glob skips them).
echo 'x' >"$migs/.formatter.exs"
echo 'x' >"$migs/.drafts/20240101000000_draft.exs"
cat >"$proj/rel/config.yml" <<'EOF'
releases:
  myapp:
    version: 0.1.0
    applications: [myapp]
EOF
# mix links priv/ into _build: later changes to it need no recompile.
compile_mix "$proj"

# run ARGS…: relbuild in $proj; sets STATUS, OUT and ERR.
run() {
	(cd "$proj" && "$RELBUILD" "$@") >"$T/out" 2>"$T/err"
	STATUS=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

### the layout builds, -v lists and notes

run -v
[ "$STATUS" = 0 ] || fail "build with README.md and a subdirectory: exit $STATUS; $ERR"
assert_contains "$OUT" "tarball " "the build made a tarball"
got=$(printf '%s\n' "$OUT" | grep '^migration ')
assert_eq "$got" "migration myapp 20240101000000 create_users 20240101000000_create_users.sql
migration myapp 20240102000000 add_posts 20240102000000_add_posts.exs
migration myapp 20240201000000 older 2024/archive/20240201000000_older.exs
migration myapp 20240301000000 add_tags 2024/20240301000000_add_tags.sql" \
	"-v: every migration in version order, with its path below priv/repo/migrations"
pass "-v lists the subdirectories' migrations"
got=$(printf '%s\n' "$OUT" | grep '^note: ')
assert_eq "$got" "note: myapp: 'priv/repo/migrations/2024/notes.txt' is not a migration: not named <integer>_<name>.exs or .sql
note: myapp: 'priv/repo/migrations/20240401000000_forgot_the_s.ex' is not a migration: named like a migration but .ex: Ecto warns and does not run it (rename it .exs)
note: myapp: 'priv/repo/migrations/README.md' is not a migration: not named <integer>_<name>.exs or .sql" \
	"-v: a note for each file that is not a migration"
pass "-v notes README.md, notes.txt and the .ex file; dot files are not looked at"
[ -z "$ERR" ] || fail "stderr of a passing build: $ERR"

run
[ "$STATUS" = 0 ] || fail "build without -v: exit $STATUS; $ERR"
case "$OUT$ERR" in
*note:* | *migration*) fail "without -v, nothing about migrations is printed: $OUT$ERR" ;;
esac
tarball="$proj/_build/prod/rel/myapp/releases/0.1.0/myapp.tar.gz"
[ -f "$tarball" ] || fail "no tarball at $tarball"
listing=$(tar -tzf "$tarball") || fail "tar cannot list $tarball"
for f in README.md 2024/20240301000000_add_tags.sql 2024/archive/20240201000000_older.exs \
	2024/notes.txt 20240102000000_add_posts.exs; do
	printf '%s\n' "$listing" | grep -qxF "lib/myapp-0.1.0/priv/repo/migrations/$f" ||
		fail "the tarball lacks lib/myapp-0.1.0/priv/repo/migrations/$f"
done
pass "the whole migrations tree ships (priv/ is copied whole)"

### one version twice anywhere in the tree fails, naming both files

# expect_dup WHAT MESSAGE: the build fails with exit 1, MESSAGE on stderr,
# no release nor tarball reported, and the tarball of the last good build
# is not replaced by one with the clash.
expect_dup() {
	rm -rf "$proj/_build/prod/rel"
	run -v
	[ "$STATUS" = 1 ] || fail "$1: exit $STATUS, expected 1; stderr: $ERR"
	assert_eq "$ERR" "$2" "$1: stderr"
	case "$OUT" in
	*tarball*) fail "$1: stdout reports a tarball: $OUT" ;;
	esac
	[ ! -e "$tarball" ] || fail "$1: a tarball was made"
	pass "$1: exit 1, both files named"
}

echo 'x' >"$migs/2024/archive/20240102000000_again.exs"
expect_dup "a version at the top level and in a subdirectory" \
	"relbuild: duplicate migration version 20240102000000: 'priv/repo/migrations/2024/archive/20240102000000_again.exs' and 'priv/repo/migrations/20240102000000_add_posts.exs'"
rm "$migs/2024/archive/20240102000000_again.exs"

# Versions are integers to Ecto: 0020240301000000 is 20240301000000.
mkdir "$migs/tenants"
echo 'x' >"$migs/tenants/0020240301000000_tenant_tags.sql"
expect_dup "a version in two subdirectories, written differently" \
	"relbuild: duplicate migration version 20240301000000: 'priv/repo/migrations/2024/20240301000000_add_tags.sql' and 'priv/repo/migrations/tenants/0020240301000000_tenant_tags.sql'"
rm -r "$migs/tenants"

run
[ "$STATUS" = 0 ] || fail "the clash removed: exit $STATUS; $ERR"
pass "with the clash removed the build passes again"
