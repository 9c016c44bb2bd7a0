"""A pool is shared only where every file naming it declares it (`cognito.shared: true`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from api.policy import TenantPolicy, load_directory, load_policy
from api.policy.sharing import joining, undeclared_shares
from tests.helpers import DEMO_POLICIES

SHOP = (DEMO_POLICIES / "shop.yaml").read_text(encoding="utf-8")
DECLARED = SHOP.replace("  user_pool: shop\n", "  user_pool: shop\n  shared: true\n")


def tenant(directory: Path, name: str, text: str) -> TenantPolicy:
    path = directory / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def test_pools_named_once_or_declared_by_all_are_fine(tmp_path: Path) -> None:
    shutil.copy(DEMO_POLICIES / "acme.yaml", tmp_path / "acme.yaml")
    tenant(tmp_path, "solo", DECLARED.replace("user_pool: shop", "user_pool: solo"))  # declared, alone: fine
    for name in ("shop", "blog", "news"):
        tenant(tmp_path, name, DECLARED)
    assert undeclared_shares(load_directory(tmp_path)) == {}


def test_one_undeclared_file_refuses_every_file_of_its_pool_at_start_up(tmp_path: Path) -> None:
    shutil.copy(DEMO_POLICIES / "acme.yaml", tmp_path / "acme.yaml")
    tenant(tmp_path, "shop", DECLARED)
    tenant(tmp_path, "news", DECLARED)
    tenant(tmp_path, "blog", SHOP)
    refused = undeclared_shares(load_directory(tmp_path))
    assert set(refused) == {tmp_path / f"{name}.yaml" for name in ("shop", "news", "blog")}
    (error,) = refused[tmp_path / "shop.yaml"]
    assert error.key == "cognito.shared"
    assert error.line == DECLARED.splitlines().index("  shared: true") + 1
    assert f"blog ({tmp_path / 'blog.yaml'}), news ({tmp_path / 'news.yaml'})" in error.message
    (missing,) = refused[tmp_path / "blog.yaml"]  # no such key in the file: the line of its section
    assert missing.line == SHOP.splitlines().index("cognito:") + 1


def test_on_reload_only_the_arriving_file_is_refused_and_told_why(tmp_path: Path) -> None:
    shop, declared_shop = tenant(tmp_path, "shop", SHOP), tenant(tmp_path, "shop", DECLARED)
    blog, declared_blog = tenant(tmp_path, "blog", SHOP), tenant(tmp_path, "blog", DECLARED)
    assert joining(blog, []) == ()
    assert joining(declared_blog, [declared_shop]) == ()
    (undeclared,) = joining(blog, [declared_shop])
    assert undeclared.file == tmp_path / "blog.yaml"
    assert "this file does not declare it shared: tenant 'blog' is not served" in undeclared.message
    (other,) = joining(declared_blog, [shop])
    assert "served to shop (" in other.message
    assert "which does not declare it shared" in other.message
