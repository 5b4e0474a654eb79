# SPDX-License-Identifier: MIT
import os

import pytest

from mica_qemu import MICA_ELF


@pytest.fixture(autouse=True)
def need_hypervisor():
    if not os.path.exists(MICA_ELF):
        pytest.fail(f"{MICA_ELF} is missing: run `make` first")


@pytest.fixture
def module_files(tmp_path):
    """Three small module files with known sizes."""
    files = []
    for i, size in enumerate((4096, 10000, 1)):
        p = tmp_path / f"mod{i}.bin"
        p.write_bytes(bytes([i + 1]) * size)
        files.append(str(p))
    return files
