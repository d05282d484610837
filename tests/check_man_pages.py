"""The manual pages match the code (issue 7, item 5), and render without warnings.

  - every configuration key beacond accepts is described in man/beacon.yaml.5 and present in
    packaging/beacon.yaml, and every key beacon.yaml.5 describes is accepted. The keys come
    from beacond itself: `beacond --check-config` on a file with an unknown key lists the keys
    of that section ("expected one of: ...");
  - every flag of `beacond --help` is in man/beacond.8;
  - every command of `beaconctl --help` has an entry in man/beaconctl.1, every flag of
    `beaconctl COMMAND --help` is in it, and every flag it mentions exists;
  - `mandoc -Tlint` and `groff -ww -mdoc -z` (what `man -l` uses) print no warning.

    python3 check_man_pages.py --beacond PATH --beaconctl PATH --source DIR
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ARGS = None
PROBE = "zz_probe_key"


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, **kw)


def render(page):
    """The page as plain text (mandoc never hyphenates, so every word stays whole)."""
    done = run(["mandoc", "-Tutf8", page])
    assert done.returncode == 0, done.stderr
    return re.sub(r".\x08", "", done.stdout)


def page_path(name):
    return os.path.join(ARGS.source, "man", name)


def flags_in(text):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text))


# -- configuration keys, from beacond --------------------------------------------------------

def nested_yaml(path, leaf):
    lines = []
    for depth, key in enumerate(path):
        lines.append("  " * depth + f"{key}:")
    lines.append("  " * len(path) + f"{leaf}: 1")
    return "\n".join(lines) + "\n"


def check_config(text, workdir):
    path = os.path.join(workdir, "probe.yaml")
    with open(path, "w") as f:
        f.write(text)
    return run([ARGS.beacond, "--check-config", path], cwd=workdir)


def section_keys(path, workdir):
    """The keys of the section at `path`, or None if `path` is not a section."""
    done = check_config(nested_yaml(path, PROBE), workdir)
    where = ".".join(path + [PROBE])
    m = re.search(re.escape(where) + r": unknown key \(expected one of: ([^)]*)\)", done.stderr)
    return [k.strip() for k in m.group(1).split(",")] if m else None


def accepted_keys():
    """Every key path beacond accepts: sections ("dns.tcp") and values ("dns.tcp.idle_timeout")."""
    keys = []
    with tempfile.TemporaryDirectory() as workdir:
        todo = [[]]
        top = section_keys([], workdir)
        assert top, "beacond --check-config did not list the top-level keys"
        while todo:
            path = todo.pop()
            for key in section_keys(path, workdir) or []:
                child = path + [key]
                keys.append(".".join(child))
                if section_keys(child, workdir) is not None:
                    todo.append(child)
    return sorted(keys)


def sample_keys(path):
    """Key paths of a YAML file of nested mappings (the sample), by indentation."""
    keys, stack = set(), []
    with open(path) as f:
        for line in f:
            m = re.match(r"^( *)([A-Za-z_][\w-]*):", line)
            if not m:
                continue
            depth = len(m.group(1)) // 2
            stack = stack[:depth] + [m.group(2)]
            keys.add(".".join(stack))
    return keys


class ConfigKeys(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = accepted_keys()
        cls.source = open(page_path("beacon.yaml.5")).read()
        cls.documented = set(re.findall(r"^\.It Cm ([a-z0-9_.]+)\s*$", cls.source, re.M))

    def test_probe_finds_known_keys(self):
        for key in ("dns.listen", "dns.tcp.idle_timeout", "dns.soa.mname", "http.listen", "log.level"):
            self.assertIn(key, self.keys)

    def test_every_key_is_in_beacon_yaml_5(self):
        sections = {k for k in self.keys if any(o.startswith(k + ".") for o in self.keys)}
        for key in self.keys:
            if key in sections:
                continue  # described through its keys
            self.assertIn(key, self.documented, f"config key {key} is not described in man/beacon.yaml.5 (.It Cm {key})")

    def test_every_key_described_exists(self):
        for key in self.documented:
            self.assertIn(key, self.keys, f"man/beacon.yaml.5 describes {key}, which beacond does not accept")

    def test_every_key_is_in_the_sample(self):
        sample = sample_keys(os.path.join(ARGS.source, "packaging", "beacon.yaml"))
        for key in self.keys:
            self.assertIn(key, sample, f"config key {key} is missing from packaging/beacon.yaml")


# -- flags and commands, from --help ---------------------------------------------------------

class Beacond(unittest.TestCase):
    def test_every_flag_is_in_beacond_8(self):
        done = run([ARGS.beacond, "--help"])
        self.assertEqual(done.returncode, 0, done.stderr)
        flags = flags_in(done.stdout)
        self.assertIn("--dns-listen", flags)
        page = flags_in(render(page_path("beacond.8")))
        for flag in sorted(flags):
            self.assertIn(flag, page, f"beacond {flag} is not in man/beacond.8")


class Beaconctl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        done = run([ARGS.beaconctl, "--help"])
        assert done.returncode == 0, done.stderr
        section = done.stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
        cls.commands = re.findall(r"^  ([a-z]+) ", section, re.M)
        cls.flags = {}
        for command in [None] + cls.commands:
            done = run([ARGS.beaconctl] + ([command] if command else []) + ["--help"])
            assert done.returncode == 0, done.stderr
            options = "\n".join(line for line in done.stdout.splitlines() if line.lstrip().startswith("-"))
            cls.flags[command] = flags_in(options)
        cls.source = open(page_path("beaconctl.1")).read()
        cls.rendered = render(page_path("beaconctl.1"))

    def test_commands_found(self):
        self.assertEqual(self.commands, ["register", "deregister", "heartbeat", "ls", "show", "resolve", "wait"])

    def test_every_command_has_an_entry(self):
        for command in self.commands:
            self.assertRegex(self.source, rf"(?m)^\.It Cm {command}\b", f"beaconctl {command} has no entry in man/beaconctl.1")

    def test_every_flag_is_in_beaconctl_1(self):
        page = flags_in(self.rendered)
        for command, flags in self.flags.items():
            for flag in sorted(flags):
                self.assertIn(flag, page, f"beaconctl {command or ''} {flag} is not in man/beaconctl.1")

    def test_every_flag_in_beaconctl_1_exists(self):
        known = set().union(*self.flags.values())
        for flag in sorted(flags_in(self.rendered)):
            self.assertIn(flag, known, f"man/beaconctl.1 mentions {flag}, which beaconctl does not have")

    def test_every_environment_variable_is_documented(self):
        for var in ("BEACON_SERVER", "BEACON_DNS", "BEACON_TOKEN", "BEACON_ZONE"):
            self.assertIn(f".It Ev {var}", self.source)


class Rendering(unittest.TestCase):
    PAGES = ("beacond.8", "beaconctl.1", "beacon.yaml.5")

    def test_mandoc_lint_is_clean(self):
        for page in self.PAGES:
            done = run(["mandoc", "-Tlint", "-Wwarning", page_path(page)])
            self.assertEqual((done.returncode, done.stdout + done.stderr), (0, ""), page)

    def test_groff_has_no_warnings(self):
        for page in self.PAGES:
            done = run(["groff", "-ww", "-mdoc", "-Tutf8", "-z", page_path(page)])
            self.assertEqual((done.returncode, done.stderr), (0, ""), page)


def main():
    global ARGS
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--beacond", required=True)
    parser.add_argument("--beaconctl", required=True)
    parser.add_argument("--source", required=True)
    ARGS, rest = parser.parse_known_args()
    ARGS.beacond, ARGS.beaconctl = os.path.abspath(ARGS.beacond), os.path.abspath(ARGS.beaconctl)
    for tool in ("mandoc", "groff"):
        if shutil.which(tool) is None:
            sys.exit(f"{sys.argv[0]}: {tool} is not installed (tools/deps.sh --test)")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
