"""`shardis locate --diff OLD NEW`: the keys a config change moves, counted on the real servers
(--scan) and checked against `shardis locate -c NEW` for each key, and the sample mode's
counts through the real binary."""
import os
import subprocess

import pytest

from harness import HOST, SHARDIS_BIN, Cluster, free_port

KEYS = 300


def run_diff(*args):
    return subprocess.run([SHARDIS_BIN, "locate", "--diff", *args],
                          capture_output=True, text=True, timeout=60)


def records(out):
    """{kind: [fields after the kind]} from the tab-separated report."""
    found = {}
    for line in out.splitlines():
        kind, *fields = line.split("\t")
        found.setdefault(kind, []).append(fields)
    return found


def write_config(cluster, name, servers):
    """A config like the proxy's with `servers` as (name, "host:port") pairs."""
    text = cluster.proxy.config_text().split("  servers:\n")[0] + "  servers:\n"
    text += "".join(f"    - {address}:1 {server}\n" for server, address in servers)
    path = os.path.join(cluster.dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def where_keys_live(cluster, keys):
    """{key: (server name, address)} from the servers themselves."""
    placed = {}
    for name, server in cluster.by_name.items():
        with server.client() as c:
            for key in keys:
                if c.call("EXISTS", key) == b":1\r\n":
                    assert key not in placed, key
                    placed[key] = (name, f"{HOST}:{server.port}")
    return placed


def locate_new(path, keys):
    """{key: (server name, address)} from `shardis locate -c NEW`."""
    out = subprocess.run([SHARDIS_BIN, "locate", "-c", path, *keys], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    assert len(out) == len(keys)
    return {key: (line.split("\t")[4], line.split("\t")[5]) for key, line in zip(keys, out)}


@pytest.fixture(scope="module")
def loaded():
    with Cluster(3, pool_options={"hash_tag": "{}"}) as cluster:
        keys = [f"user:{i}" for i in range(KEYS)]
        with cluster.proxy.client() as c:
            for key in keys:
                assert c.call("SET", key, "v") == b"+OK\r\n"
        yield cluster, keys


def test_scan_counts_what_locate_says_moves(loaded):
    cluster, keys = loaded
    old = write_config(cluster, "old.yml", [(n, f"{HOST}:{cluster.by_name[n].port}")
                                            for n in cluster.names])
    # NEW adds s4 and moves s3 to another address under the same name.
    new = write_config(cluster, "new.yml", [
        ("s1", f"{HOST}:{cluster.by_name['s1'].port}"),
        ("s2", f"{HOST}:{cluster.by_name['s2'].port}"),
        ("s3", f"{HOST}:{free_port()}"),
        ("s4", f"{HOST}:{free_port()}")])
    result = run_diff(old, new, "--scan")
    assert result.returncode == 0, result.stderr
    found = where_keys_live(cluster, keys)
    assert len(found) == KEYS
    placed = locate_new(new, keys)
    expected = {}
    for key in keys:
        if found[key] != placed[key]:
            pair = (*found[key], *placed[key])
            expected[pair] = expected.get(pair, 0) + 1
    moved = sum(expected.values())
    assert 0 < moved < KEYS
    report = records(result.stdout)
    assert report["pool"] == [["pool", "scan", str(KEYS), str(moved),
                               f"{100 * moved / KEYS:.2f}"]]
    moves = {tuple(fields[1:5]): int(fields[5]) for fields in report["move"]}
    assert moves == expected
    assert set(report) == {"pool", "move"}


def test_identical_configs_scan_and_sample_move_nothing(loaded):
    cluster, _ = loaded
    same = cluster.proxy.config_path
    result = run_diff(same, same, "--scan")
    assert (result.returncode, result.stdout) == (0, f"pool\tpool\tscan\t{KEYS}\t0\t0.00\n")
    result = run_diff(same, same, "--sample", "2000")
    assert (result.returncode, result.stdout) == (0, "pool\tpool\tsample\t2000\t0\t0.00\n")


def test_unreachable_server_is_skipped(loaded):
    cluster, keys = loaded
    dead = free_port()
    old = write_config(cluster, "dead.yml", [
        ("s1", f"{HOST}:{cluster.by_name['s1'].port}"),
        ("s2", f"{HOST}:{cluster.by_name['s2'].port}"),
        ("s3", f"{HOST}:{dead}")])
    result = run_diff(old, old, "--scan")
    assert result.returncode == 2, result.stderr
    report = records(result.stdout)
    on_s1_s2 = sum(1 for name, _ in where_keys_live(cluster, keys).values() if name != "s3")
    assert report["pool"] == [["pool", "scan", str(on_s1_s2), "0", "0.00"]]
    [skipped] = report["skipped"]
    assert skipped[:3] == ["pool", "s3", f"{HOST}:{dead}"]
    assert "Connection refused" in skipped[3], skipped


def test_config_error_is_reported_with_its_position(loaded):
    cluster, _ = loaded
    bad = os.path.join(cluster.dir, "bad.yml")
    with open(bad, "w") as f:
        f.write("pool:\n  listen: 127.0.0.1:1\n  distribution: sideways\n  servers:\n"
                "    - 127.0.0.1:2:1\n")
    result = run_diff(cluster.proxy.config_path, bad)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{bad}:3:"), result.stderr


def test_scan_authenticates_and_selects_the_pools_db():
    with Cluster(2, pool_options={"redis_auth": "s3cret", "redis_db": 3},
                 redis_extra=("--requirepass", "s3cret")) as cluster:
        with cluster.proxy.client() as c:
            assert c.call("AUTH", "s3cret") == b"+OK\r\n"
            for i in range(50):
                assert c.call("SET", f"k{i}", "v") == b"+OK\r\n"
        path = cluster.proxy.config_path
        result = run_diff(path, path, "--scan")
        assert (result.returncode, result.stdout) == (0, "pool\tpool\tscan\t50\t0\t0.00\n")
