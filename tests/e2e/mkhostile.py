# Make the hostile archives of test_install_hostile.sh: mkhostile.py OUTDIR OUTSIDE GOOD_TARBALL
# Writes OUTDIR/<case>.tar.gz and OUTDIR/cases.txt, fields separated by "|":
#   case|tarball|extra install args|expected entry|expected reason|layer
# Unless a case says otherwise its archive carries a releases/9.9.9/SHA256SUMS
# that matches every regular file in it.  layer says what must refuse it:
#   extract  the extraction engine (relbuild verify passes the archive)
#   limit    the limits (relbuild verify passes it too)
#   verify   the verification (relbuild verify fails on it)
#   sidecar  the sidecar hash (the archive itself is good)
import hashlib, io, os, sys, tarfile

out, outside, good = sys.argv[1], sys.argv[2], sys.argv[3]
VSN = "9.9.9"
BASE = [
    ("file", "bin/x", b"#!/bin/sh\necho x\n", 0o755),
    ("file", "releases/start_erl.data", ("14.2 %s\n" % VSN).encode(), 0o644),
    ("file", "releases/%s/x.rel" % VSN, b"{release,{\"x\",\"9.9.9\"},{erts,\"14.2\"},[]}.\n", 0o644),
]
rows = []


def info(kind, name, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.mtime = 946684800
    ti.mode = mode
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    ti.type = kind
    return ti


def build(case, layer, entries, manifest="match", base=True, extra="", entry="", reason=""):
    entries = (BASE if base else []) + entries
    sums = {}
    for e in entries:
        # what sha256sum could list: no absolute names, no ".."
        if e[1].startswith("/") or ".." in e[1].split("/"):
            continue
        if e[0] == "file":
            sums[e[1]] = hashlib.sha256(e[2]).hexdigest()
        elif e[0] == "zeros":
            h = hashlib.sha256()
            for _ in range(e[2] >> 20):
                h.update(bytes(1 << 20))
            sums[e[1]] = h.hexdigest()
    if manifest == "wrong":
        sums["bin/x"] = "0" * 64
    text = "".join("%s  %s\n" % (h, p) for p, h in sorted(sums.items())).encode()
    if manifest != "none":
        entries = entries + [("file", "releases/%s/SHA256SUMS" % VSN, text, 0o644)]
    path = os.path.join(out, case + ".tar.gz")
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            kind, name = e[0], e[1]
            if kind == "file":
                ti = info(tarfile.REGTYPE, name, e[3] if len(e) > 3 else 0o644)
                ti.size = len(e[2])
                tf.addfile(ti, io.BytesIO(e[2]))
            elif kind == "zeros":  # a large file that compresses to nothing
                ti = info(tarfile.REGTYPE, name)
                ti.size = e[2]
                tf.addfile(ti, ZeroReader(e[2]))
            elif kind == "dir":
                tf.addfile(info(tarfile.DIRTYPE, name, e[2] if len(e) > 2 else 0o755))
            elif kind == "symlink":
                ti = info(tarfile.SYMTYPE, name, 0o777)
                ti.linkname = e[2]
                tf.addfile(ti)
            elif kind == "hardlink":
                ti = info(tarfile.LNKTYPE, name)
                ti.linkname = e[2]
                tf.addfile(ti)
            elif kind in ("chr", "blk"):
                ti = info(tarfile.CHRTYPE if kind == "chr" else tarfile.BLKTYPE, name, 0o666)
                ti.devmajor, ti.devminor = e[2], e[3]
                tf.addfile(ti)
            elif kind == "fifo":
                tf.addfile(info(tarfile.FIFOTYPE, name, 0o644))
    rows.append((case, path, extra, entry, reason, layer))


class ZeroReader:
    def __init__(self, n):
        self.n = n

    def read(self, k=-1):
        k = self.n if k < 0 else min(k, self.n)
        self.n -= k
        return b"\0" * k


# The control: the same harness, nothing hostile; it must install.
build("control", "none", [("file", "lib/ok/data", b"ok\n")], entry="", reason="")

# absolute paths
build("absolute", "verify", [("file", outside + "/abs-file", b"pwned\n")],
      entry=outside + "/abs-file", reason="absolute path")
# ".." components
build("dotdot", "verify", [("file", "lib/../../escape", b"pwned\n")],
      entry="lib/../../escape", reason="'..'")
build("dot-dotdot", "verify", [("file", "./../x", b"pwned\n")], entry="./../x", reason="'..'")
build("leading-dotdot", "verify", [("file", "../../outside/y", b"pwned\n")],
      entry="../../outside/y", reason="'..'")
# symlinks that resolve outside the release
build("symlink-absolute", "extract", [("symlink", "lib/etc", "/etc")],
      entry="lib/etc", reason="absolute symlink target")
build("symlink-relative", "extract", [("symlink", "lib/up", "../../../outside")],
      entry="lib/up", reason="outside the root")
# a symlink, then a file written through it (out of the tree, and within it)
build("symlink-write-through", "extract", [("symlink", "lib/out", outside),
                                ("file", "lib/out/pwned", b"pwned\n")],
      entry="lib/out", reason="symlink")
build("symlink-write-through-rel", "extract", [("symlink", "lib/out", "../.."),
                                    ("file", "lib/out/pwned", b"pwned\n")],
      entry="lib/out", reason="outside the root")
build("path-through-own-symlink", "extract", [("dir", "lib/real"), ("symlink", "lib/link", "real"),
                                   ("file", "lib/link/f", b"through\n")],
      entry="lib/link/f", reason="goes through the symlink 'lib/link'")
# hard links
build("hardlink-etc-passwd", "verify", [("hardlink", "lib/passwd", "/etc/passwd")],
      entry="lib/passwd", reason="hard link target '/etc/passwd': absolute path")
build("hardlink-dotdot", "verify", [("hardlink", "lib/passwd", "../../../../../../../etc/passwd")],
      entry="lib/passwd", reason="'..' in the path")
# device nodes and FIFOs
build("chardev", "verify", [("chr", "lib/null", 1, 3)], entry="lib/null", reason="character device")
build("blockdev", "verify", [("blk", "lib/sda", 8, 0)], entry="lib/sda", reason="block device")
build("fifo", "verify", [("fifo", "lib/fifo")], entry="lib/fifo", reason="FIFO")
# setuid, setgid, sticky
build("setuid", "extract", [("file", "bin/suid", b"#!/bin/sh\n", 0o4755)], entry="bin/suid", reason="setuid bit")
build("setgid", "extract", [("file", "bin/sgid", b"#!/bin/sh\n", 0o2755)], entry="bin/sgid", reason="setgid bit")
build("sticky", "extract", [("dir", "lib/tmp", 0o1777)], entry="lib/tmp", reason="sticky bit")
# duplicate entries (same content, so the manifest matches)
build("duplicate", "verify", [("file", "lib/dup", b"one\n"), ("file", "lib/dup", b"one\n")],
      entry="lib/dup", reason="duplicate")
# limits: 10,000 entries over a limit of 5,000; 64 MiB of zeros over 16 MiB
build("bomb-entries", "limit", [("file", "bomb/f%05d" % i, b"") for i in range(10000)],
      extra="--max-entries 5000", entry="bomb/f", reason="more than 5000 entries")
build("bomb-bytes", "limit", [("zeros", "lib/zeros", 64 << 20)],
      extra="--max-bytes 16M", entry="lib/zeros", reason="--max-bytes")
build("bomb-file-bytes", "limit", [("zeros", "lib/zeros", 64 << 20)],
      extra="--max-file-bytes 1M", entry="lib/zeros", reason="--max-file-bytes")
# verification's own refusals: a manifest that does not match, none at all
build("manifest-mismatch", "verify", [], manifest="wrong", entry="bin/x", reason="changed")
build("no-manifest", "verify", [("file", "lib/a", b"a\n")], manifest="none",
      entry="SHA256SUMS", reason="no releases/<vsn>/SHA256SUMS")

# a truncated gzip stream: the good release cut in half
data = open(good, "rb").read()
path = os.path.join(out, "truncated.tar.gz")
open(path, "wb").write(data[: len(data) // 2])
rows.append(("truncated", path, "", "entry '", "truncated or corrupt", "verify"))

# a good tarball whose sidecar hash does not match
path = os.path.join(out, "sidecar-0.1.0.tar.gz")
open(path, "wb").write(data)
open(path + ".sha256", "w").write("%s  sidecar-0.1.0.tar.gz\n" % hashlib.sha256(b"other").hexdigest())
rows.append(("sidecar-mismatch", path, "", "sidecar-0.1.0.tar.gz.sha256", "does not match", "sidecar"))

with open(os.path.join(out, "cases.txt"), "w") as f:
    for r in rows:
        f.write("|".join(r) + "\n")
