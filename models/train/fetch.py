#!/usr/bin/env python3
"""Fetch every training source listed in manifest.json.

npm sources:  npm pack <pkg>@<ver>            -> .data/dl/<tarball>, extracted to .data/src/<name>/
apt sources:  apt-get download <pkg>=<ver>     -> .data/dl/<deb>,     dpkg-deb -x  to .data/src/<name>/

For each source the licence is verified from the package's own licence file
(the marker text must occur in it; for Debian the DEP-5 'Files: *' licence is
also recorded) and the sha256 of the artifact is written to .data/fetched.json.
If the manifest pins a sha256, a mismatch is an error.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile

from common import DATA, MANIFEST, load_json, save_json, sha256_file


def run(cmd, cwd=None):
    res = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if res.returncode != 0:
        raise RuntimeError("command failed: %s\n%s" % (" ".join(cmd), res.stderr))
    return res.stdout


def fetch_npm(src, dl_dir, out_dir):
    spec = "%s@%s" % (src["package"], src["version"])
    name = run(["npm", "pack", spec, "--silent", "--pack-destination", dl_dir]).strip().splitlines()[-1]
    tgz = os.path.join(dl_dir, name)
    tmp = out_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with tarfile.open(tgz, "r:gz") as tf:
        for m in tf.getmembers():
            if not (m.isfile() or m.isdir()):
                continue  # no links or devices from tarballs
            if m.name.startswith("/") or ".." in m.name.split("/"):
                raise RuntimeError("unsafe path in %s: %s" % (tgz, m.name))
            tf.extract(m, tmp)
    tops = os.listdir(tmp)
    if len(tops) != 1:
        raise RuntimeError("expected one top-level directory in %s, got %s" % (tgz, tops))
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(os.path.join(tmp, tops[0]), out_dir)
    shutil.rmtree(tmp, ignore_errors=True)
    return [tgz]


def download_deb(package, version, dl_dir):
    spec = "%s=%s" % (package, version)
    before = set(os.listdir(dl_dir))
    run(["apt-get", "download", spec], cwd=dl_dir)
    new = [f for f in os.listdir(dl_dir) if f not in before and f.endswith(".deb")]
    if not new:
        # already downloaded earlier: find it by name
        names = (package + "_" + version.replace(":", "%3a") + "_", package + "_" + version.split(":")[-1] + "_")
        new = [f for f in os.listdir(dl_dir) if f.startswith(names) and f.endswith(".deb")]
    if len(new) != 1:
        raise RuntimeError("could not identify the .deb for %s: %s" % (spec, new))
    return os.path.join(dl_dir, new[0])


def fetch_apt(src, dl_dir, out_dir):
    """Download the package (plus any 'extra_packages' of the same source package,
    e.g. the one holding the real copyright file) and extract them all into out_dir."""
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    debs = []
    for pkg in [{"package": src["package"], "version": src["version"]}] + src.get("extra_packages", []):
        deb = download_deb(pkg["package"], pkg["version"], dl_dir)
        run(["dpkg-deb", "-x", deb, out_dir])
        debs.append(deb)
    return debs


def dep5_files_star_licence(text):
    """Return the License: short name of the 'Files: *' stanza of a DEP-5 copyright file, or None."""
    for stanza in re.split(r"\n\s*\n", text):
        if re.search(r"^Files:\s*\*\s*$", stanza, re.M):
            m = re.search(r"^License:\s*(.+)$", stanza, re.M)
            if m:
                return m.group(1).strip()
    return None


def verify_licence(src, out_dir):
    path = os.path.join(out_dir, src["licence_file"])
    if os.path.islink(path) or not os.path.exists(path):
        raise RuntimeError("%s: licence file %s missing" % (src["name"], src["licence_file"]))
    text = open(path, "r", encoding="utf-8", errors="replace").read()
    if src["licence_marker"] not in text:
        raise RuntimeError("%s: marker %r not found in %s" % (src["name"], src["licence_marker"], src["licence_file"]))
    info = {"licence_file": src["licence_file"], "marker_found": src["licence_marker"]}
    if src["kind"] == "npm":
        pj = load_json(os.path.join(out_dir, "package.json"))
        declared = pj.get("license")
        info["package_json_license"] = declared
        if declared and declared not in src["licence"]:
            raise RuntimeError("%s: package.json license %r != manifest %r" % (src["name"], declared, src["licence"]))
    else:
        info["dep5_files_star"] = dep5_files_star_licence(text)
    return info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="comma-separated source names (default: all)")
    ap.add_argument("--force", action="store_true", help="re-fetch sources already present")
    args = ap.parse_args()

    manifest = load_json(MANIFEST)
    dl_dir = os.path.join(DATA, "dl")
    os.makedirs(dl_dir, exist_ok=True)
    lock_path = os.path.join(DATA, "fetched.json")
    lock = load_json(lock_path) if os.path.exists(lock_path) else {}
    only = set(filter(None, args.only.split(",")))
    for src in manifest["sources"]:
        if only and src["name"] not in only:
            continue
        out_dir = os.path.join(DATA, "src", src["name"])
        prev = lock.get(src["name"])
        if (not args.force and prev and os.path.isdir(out_dir) and prev.get("version") == src["version"]):
            print("[fetch] %-32s cached" % src["name"])
            continue
        arts = fetch_npm(src, dl_dir, out_dir) if src["kind"] == "npm" else fetch_apt(src, dl_dir, out_dir)
        digests = {os.path.basename(a): sha256_file(a) for a in arts}
        pinned = src.get("sha256") or {}
        for art, digest in digests.items():
            if art in pinned and pinned[art] != digest:
                raise RuntimeError("%s: sha256 of %s is %s, manifest pins %s" % (src["name"], art, digest, pinned[art]))
        lic = verify_licence(src, out_dir)
        lock[src["name"]] = {"kind": src["kind"], "package": src["package"], "version": src["version"],
                             "sha256": digests, "licence": src["licence"], **lic}
        save_json(lock_path, lock)
        print("[fetch] %-32s %-18s %s" % (src["name"], src["version"], lic.get("dep5_files_star") or lic.get("package_json_license")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
