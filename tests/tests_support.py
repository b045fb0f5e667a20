"""Test doubles shared by several test modules."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from typing import Callable


class HookedEmbedder:
    """Wraps an embedder, counts calls and passages, and runs a hook before each passage batch."""

    def __init__(self, inner, before_batch: Callable[["HookedEmbedder"], None] | None = None) -> None:
        self.inner, self.before_batch = inner, before_batch
        self.name, self.dim = inner.name, inner.dim
        self.calls = self.passages = 0

    def warm_up(self) -> None:
        self.inner.warm_up()

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts):
        if self.before_batch is not None:
            self.before_batch(self)  # may raise (a crash) or let another process act mid-write
        self.calls += 1
        self.passages += len(texts)
        return self.inner.embed_passages(texts)


class TokenizerLikeEmbedder:
    """The hash embedder, but refusing text a real tokenizer cannot encode (lone surrogates), as the model does."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim

    def warm_up(self) -> None:
        self.inner.warm_up()

    def embed_queries(self, texts):
        for t in texts:
            t.encode("utf-8")  # raises UnicodeEncodeError, like the tokenizer
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts):
        return self.inner.embed_passages(texts)


class HeldEmbedder:
    """Wraps an embedder; while held, every query embedding blocks (a deliberately slow service) until released."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.entered = threading.Event()  # set when a query embedding has started
        self._open = threading.Event()
        self._open.set()

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def warm_up(self) -> None:
        self.inner.warm_up()

    def embed_queries(self, texts):
        self.entered.set()
        self._open.wait()
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts):
        return self.inner.embed_passages(texts)


def kill_when(command: list[str], reached: Callable[[str], bool], **popen) -> list[str]:
    """Run `command` and SIGKILL it (like a power cut) at the first line it prints for which `reached` is true;
    returns the lines read. Fails when the command ends before that line."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, **popen)
    lines: list[str] = []
    try:
        for line in child.stdout:
            lines.append(line.strip())
            if reached(lines[-1]):
                os.kill(child.pid, signal.SIGKILL)
                return lines
        raise AssertionError(f"{command[-1]!r} ended before it could be killed; it printed: {lines}")
    finally:
        if child.poll() is None:
            child.kill()  # killed already, or a failed assertion: never leave it running
        child.wait(timeout=60)
        child.stdout.close()


class FakeChatModel:
    """ChatModel double: returns canned replies in turn (or raises them) and records what it was sent."""

    def __init__(self, *replies: str | Exception) -> None:
        self.name = "fake"
        self.replies = list(replies)
        self.calls: list[tuple[list[dict[str, str]], float]] = []

    def complete(self, messages: list[dict[str, str]], timeout: float) -> str:
        self.calls.append((messages, timeout))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


# synthetic fixture
# A district plan whose letterhead carries its number (Số: 57/KH-UBND) and a clear figure (7 xã).
DISTRICT_PLAN = """ỦY BAN NHÂN DÂN
HUYỆN ĐẠI PHONG
Số: 57/KH-UBND

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM

Đại Phong, ngày 15 tháng 3 năm 2031

KẾ HOẠCH
Xây dựng nông thôn mới huyện Đại Phong năm 2031

I. MỤC TIÊU
1. Năm 2031, huyện phấn đấu có thêm 7 xã đạt chuẩn nông thôn mới.
2. Các xã còn lại duy trì và nâng cao chất lượng các tiêu chí đã đạt.

II. NHIỆM VỤ
1. Các xã rà soát tiêu chí giao thông và thủy lợi trước ngày 30/6/2031.
2. Phòng Nông nghiệp huyện tổng hợp kết quả thực hiện hằng quý.
"""

# synthetic fixture
# A letter of another province on another topic (clean water, 92%).
WATER_LETTER = """ỦY BAN NHÂN DÂN
TỈNH SÔNG LAM
Số: 418/UBND-NN
V/v đẩy mạnh cấp nước sạch nông thôn

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM

Sông Lam, ngày 02 tháng 6 năm 2031

Kính gửi: Ủy ban nhân dân các huyện, thị xã.

1. Đến hết năm 2031, tỷ lệ hộ dân nông thôn sử dụng nước sạch đạt 92%.
2. Mỗi xã bố trí ít nhất 2 điểm lấy mẫu kiểm tra chất lượng nước trong một năm.
"""

# synthetic fixture
# A provincial plan with one clear figure (12 xã) and a second item (2 lớp).
PROVINCE_PLAN = """Số: 31/KH-UBND
KẾ HOẠCH
Xây dựng nông thôn mới tỉnh Hòa Bình Xanh năm 2031

1. Năm 2031, tỉnh phấn đấu công nhận thêm 12 xã đạt chuẩn nông thôn mới.
2. Mỗi huyện tổ chức ít nhất 2 lớp tập huấn cho cán bộ xã.
"""
