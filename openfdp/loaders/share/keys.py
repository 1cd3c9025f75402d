"""Ed25519 signing keys of an instance and the public keys of its peers.

Files under ``settings.share.keys_dir`` (default ``<state_dir>/keys``), never in the graph and
never logged: ``signing.key`` (PKCS#8 PEM, mode 0600), ``signing.pub`` (SubjectPublicKeyInfo
PEM) and ``peers/<ODS>.pub``, the public key of each instance this one trusts.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from openfdp.loaders.share.errors import ProductRefused, ShareError
from openfdp.settings import Settings

SIGNING_KEY = "signing.key"
SIGNING_PUB = "signing.pub"
_ODS = re.compile(r"^[A-Z0-9]{3,10}$")


def keys_dir(settings: Settings) -> Path:
    return settings.share.keys_dir or settings.state_dir / "keys"


def check_ods(ods: str) -> str:
    code = ods.strip().upper()
    if not _ODS.match(code):
        raise ShareError(f"not an ODS code: {ods!r} (3 to 10 letters and digits)")
    return code


def init_keys(directory: Path) -> tuple[Path, bool]:
    """The public key file, creating the key pair when there is none (idempotent)."""
    key_file, pub_file = directory / SIGNING_KEY, directory / SIGNING_PUB
    if key_file.exists():
        if not pub_file.exists():
            _write_public(pub_file, load_signing_key(directory).public_key())
        return pub_file, False
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    _write_public(pub_file, key.public_key())
    return pub_file, True


def _write_public(path: Path, key: Ed25519PublicKey) -> None:
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path.write_bytes(pem)


def load_signing_key(directory: Path) -> Ed25519PrivateKey:
    path = directory / SIGNING_KEY
    if not path.exists():
        raise ShareError(f"no signing key in {directory}: run `openfdp share keys init`")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ShareError(f"{path} is not an Ed25519 private key")
    return key


def read_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ShareError(f"{path} is not a readable PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ShareError(f"{path} is not an Ed25519 public key")
    return key


def add_peer(directory: Path, ods: str, public_key_file: Path) -> Path:
    """Trust the public key of the instance of ``ods`` (replaces an earlier one)."""
    code = check_ods(ods)
    key = read_public_key(public_key_file)
    (directory / "peers").mkdir(parents=True, exist_ok=True)
    target = directory / "peers" / f"{code}.pub"
    _write_public(target, key)
    return target


def peer_key(directory: Path, ods: str) -> Ed25519PublicKey:
    path = directory / "peers" / f"{check_ods(ods)}.pub"
    if not path.exists():
        raise ProductRefused(
            f"no public key registered for {ods}: run `openfdp share peer add --ods {ods} "
            "--public-key FILE` with the key it gave you"
        )
    return read_public_key(path)


def sign(directory: Path, data: bytes) -> bytes:
    return load_signing_key(directory).sign(data)


def verify(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
