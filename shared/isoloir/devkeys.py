"""The built-in development key pair.

It is published with the source code, so it protects nothing: settings refuse it unless
dev mode is on. `isoloir up` generates a fresh pair per data directory instead.
"""

DEV_PRIVATE_KEY = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIPA6rsW6UO7qwLcwlesaqqjR0Adq4baE6d2pI43ntOp/
-----END PRIVATE KEY-----
"""

DEV_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA4lawKBKxOL45F/lElTcfJyirVF6Sbm1KaghulToSpAI=
-----END PUBLIC KEY-----
"""

DEV_PARTY_SECRET = "isoloir-development-party-secret-not-for-production"  # noqa: S105


def generate_key_pair() -> tuple[str, str]:
    """Return a new (private PEM, public PEM) Ed25519 pair."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public
