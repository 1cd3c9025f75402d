"""Signing keys, peers and receipts of data products (docs/federation.md): Ed25519 keys in
files with the private key readable by its owner only, signatures that fail on any change,
and refusals that name what to do."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from openfdp.loaders.share import keys
from openfdp.loaders.share.errors import ProductRefused, ShareError
from openfdp.loaders.share.receipt import read_receipt, write_receipt
from openfdp.settings import Settings


def test_keys_init_is_idempotent_and_the_private_key_is_0600(tmp_path: Path) -> None:
    pub, created = keys.init_keys(tmp_path / "keys")
    assert created and pub.name == "signing.pub"
    mode = stat.S_IMODE((tmp_path / "keys" / "signing.key").stat().st_mode)
    assert mode == 0o600
    before = (tmp_path / "keys" / "signing.key").read_bytes()
    again, created_again = keys.init_keys(tmp_path / "keys")
    assert again == pub and not created_again
    assert (tmp_path / "keys" / "signing.key").read_bytes() == before


def test_a_signature_verifies_only_the_signed_bytes_with_the_peer_key(tmp_path: Path) -> None:
    sender, receiver = tmp_path / "trust", tmp_path / "ics"
    pub, _ = keys.init_keys(sender)
    keys.add_peer(receiver, "rm3", pub)
    sig = keys.sign(sender, b"manifest bytes")
    key = keys.peer_key(receiver, "RM3")
    assert keys.verify(key, sig, b"manifest bytes")
    assert not keys.verify(key, sig, b"manifest bytez")
    other, _ = keys.init_keys(tmp_path / "other")
    keys.add_peer(receiver, "R0A", other)
    assert not keys.verify(keys.peer_key(receiver, "R0A"), sig, b"manifest bytes")


def test_an_unknown_sender_is_refused_with_the_command_to_run(tmp_path: Path) -> None:
    with pytest.raises(ProductRefused, match="share peer add --ods RM3"):
        keys.peer_key(tmp_path, "RM3")


def test_a_peer_key_that_is_not_ed25519_is_refused(tmp_path: Path) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    path = tmp_path / "ec.pub"
    path.write_bytes(
        ec_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(ShareError, match="not an Ed25519 public key"):
        keys.add_peer(tmp_path / "keys", "RM3", path)
    (tmp_path / "junk.pub").write_text("not a key")
    with pytest.raises(ShareError, match="not a readable PEM"):
        keys.add_peer(tmp_path / "keys", "RM3", tmp_path / "junk.pub")
    with pytest.raises(ShareError, match="not an ODS code"):
        keys.add_peer(tmp_path / "keys", "../../etc", path)


def test_a_receipt_verifies_and_a_changed_receipt_is_refused(tmp_path: Path) -> None:
    trust = Settings(state_dir=tmp_path / "trust")
    ics = Settings(state_dir=tmp_path / "ics")
    pub, _ = keys.init_keys(keys.keys_dir(ics))
    keys.add_peer(keys.keys_dir(trust), "QOP", pub)
    path = write_receipt(
        tmp_path, {"export_id": "E1", "sender_ods": "RM3", "receiver_ods": "QOP"}, ics
    )
    assert read_receipt(path, trust)["export_id"] == "E1"
    doc = json.loads(path.read_text())
    doc["receipt"]["export_id"] = "E2"
    path.write_text(json.dumps(doc))
    with pytest.raises(ProductRefused, match="does not verify"):
        read_receipt(path, trust)
