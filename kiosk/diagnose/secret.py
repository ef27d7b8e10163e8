"""Finds the client secret where the service finds it, also from a technician's shell."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from kiosk.config import Config, ConfigError, read_secret_file


def service_path(config: Config, name: str) -> Path:
    """The file behind a secret name of the config, as kiosk.service sees it.

    The service gets `LoadCredential=<name>:/etc/kiosk/<name>` and reads a bare name from
    $CREDENTIALS_DIRECTORY; a shell has no such folder, so a relative name is taken beside the
    config file, where those credentials come from. Absolute paths are used as they are.
    """
    path = Path(name)
    if path.is_absolute():
        return path
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / path).exists():
        return Path(credentials) / path
    return Path(config.source).absolute().parent / path


def with_secret_resolved(config: Config) -> Config:
    """The config with [api] credentials_file made absolute, for a client built outside systemd."""
    resolved = str(service_path(config, config.api.credentials_file))
    return dataclasses.replace(config, api=dataclasses.replace(config.api,
                                                               credentials_file=resolved))


def check_secret(config: Config) -> str:
    name = config.api.credentials_file
    if not name:
        raise ConfigError(f"{config.source}: [api] credentials_file is empty; name the file "
                          f"holding the client secret (chmod 600)")
    path = service_path(config, name)
    try:
        read_secret_file(path, "client secret")
    except ConfigError as exc:
        if not os.access(path, os.R_OK) and path.exists():
            raise ConfigError(f"{exc}; it belongs to root: run `sudo kiosk doctor`") from None
        raise
    return f"{path} is readable by its owner only"
