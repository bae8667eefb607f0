#!/usr/bin/env python3
"""Open an Offload toy-event file (.npz) with numpy alone and show how to use it.

Prints every column's dtype and shape, rebuilds the per-event offsets from the
`*_count` columns, shows the tracks of one event as a table, rebuilds that event's
padded jet tensor as the jet tagger takes it, and checks the counts add up.

    python dev/bench/read_events.py events.npz [--event 0]

The format is described in docs/events-file-format.md. With awkward-array installed,
`ak.unflatten(z["tracks_features"], z["tracks_count"])` gives the same jagged view.
"""

import argparse
import json
import sys

import numpy as np


def offsets(counts):
    """[0, c0, c0+c1, ...]: event i's objects are rows offsets[i]:offsets[i+1]."""
    return np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])


def text(z, name):
    """A UTF-8 text column (stored as uint8 bytes), or None if absent."""
    return bytes(z[name]).decode("utf-8") if name in z.files else None


def padded_jets(z, event):
    """pf_features [nJets, 7, P] and pf_mask [nJets, 1, P] of one event, as the tagger takes them."""
    jet_off = offsets(z["jets_count"])
    mult = z["jets_multiplicity"]
    const_off = offsets(mult)
    p = int(z["jets_padded_length"][event])
    jets = range(jet_off[event], jet_off[event + 1])
    features = np.zeros((len(jets), 7, p), dtype=np.float32)
    mask = np.zeros((len(jets), 1, p), dtype=np.float32)
    for local, j in enumerate(jets):
        rows = z["jets_constituents"][const_off[j]:const_off[j + 1]]  # [multiplicity, 7]
        features[local, :, : len(rows)] = rows.T
        mask[local, 0, : len(rows)] = 1
    return features, mask


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", help="an events .npz written by Offload")
    parser.add_argument("--event", type=int, default=0, help="row of the event to show (default 0)")
    args = parser.parse_args()

    z = np.load(args.path)  # lazy: each column is read when first indexed
    print(f"{args.path}: format version {int(z['format_version'])}, {len(z['event_index'])} events")
    configuration = text(z, "configuration_json")
    if configuration:
        print(f"configuration: {configuration[:200]}{'...' if len(configuration) > 200 else ''}")
    names = json.loads(text(z, "feature_names_json"))

    print(f"\n{'column':32} {'dtype':8} shape")
    for name in z.files:
        print(f"{name:32} {str(z[name].dtype):8} {z[name].shape}")

    # Every collection: counts add up to the rows of its columns.
    for prefix, columns in {
        "tracks": ["tracks_features", "tracks_is_ghost", "tracks_ghostness"],
        "jets": ["jets_multiplicity", "jets_is_quark", "jets_pt", "jets_eta"],
        "hcal": ["hcal_pulses", "hcal_channel", "hcal_true_energy"],
        "pf": ["pf_continuous", "pf_categorical"],
        "hits": ["hits_position", "hits_particle"],
        "edges": ["edges_index", "edges_is_true"],
    }.items():
        total = int(z[f"{prefix}_count"].sum())
        for column in columns:
            assert len(z[column]) == total, f"{column}: {len(z[column])} rows, counts say {total}"
    assert len(z["jets_constituents"]) == int(z["jets_multiplicity"].sum())

    e = args.event
    track_off = offsets(z["tracks_count"])
    lo, hi = track_off[e], track_off[e + 1]
    features = z["tracks_features"][lo:hi]  # [nTracks, 17], the lhcb_ghost_mlp input
    ghost = z["tracks_is_ghost"][lo:hi]
    print(
        f"\nevent row {e} (index {int(z['event_index'][e])}, checksum {int(z['event_checksum'][e]):016x}): "
        f"{hi - lo} tracks, {int(ghost.sum())} ghosts, "
        f"{int(z['tracks_primary_vertex_count'][e])} primary vertices"
    )
    shown = ["pt", "eta", "log10_p", "track_chi2ndof", "n_velo_hits", "match_chi2"]
    cols = [names["tracks_features"].index(n) for n in shown]
    print(" ".join(f"{n:>14}" for n in ["track"] + shown + ["ghost", "ghostness"]))
    for i in range(min(hi - lo, 10)):
        values = " ".join(f"{features[i, c]:14.4f}" for c in cols)
        print(f"{i:>14} {values} {str(bool(ghost[i])):>14} {z['tracks_ghostness'][lo + i]:14.4f}")
    if hi - lo > 10:
        print(f"{'...':>14} ({hi - lo - 10} more)")

    jets, mask = padded_jets(z, e)
    print(f"\njets of event row {e}: pf_features {jets.shape}, pf_mask {mask.shape}, "
          f"multiplicities {mask.sum(axis=(1, 2)).astype(int).tolist()}")
    edges = z["edges_index"][offsets(z["edges_count"])[e]:offsets(z["edges_count"])[e + 1]]
    print(f"tracker graph of event row {e}: {int(z['hits_count'][e])} hits, {len(edges)} edges "
          f"(edge_index for trk_edge_filter is edges.T, shape {edges.T.shape})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
