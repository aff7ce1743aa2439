"""The embedded broker (`make run` without REDIS_URL): a worker that polls while a message is being
written finds nothing yet, never an empty message that stops it (celery/kombu#1551)."""

import json
from queue import Empty

import pytest
from kombu import Connection
from kombu.transport import filesystem

from config import broker


def channel_in(folder, transport):
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder)}
    return Connection("filesystem://", transport=transport, transport_options=options).channel()


def test_kombus_own_writer_lets_a_reader_take_an_empty_message(tmp_path, monkeypatch):
    """Why config.broker exists: polling between kombu's open and write reads an empty file."""
    channel = channel_in(tmp_path, filesystem.Transport)
    seen = []
    monkeypatch.setattr(filesystem, "lock", lambda file, flags: seen.append(_take(channel)))
    channel._put("celery", {"body": "x"})
    assert seen == ["an empty message"]


def test_a_reader_polling_mid_write_finds_nothing_then_the_whole_message(tmp_path, monkeypatch):
    channel = channel_in(tmp_path, broker.Transport)
    seen = []
    replace = broker.os.replace

    def replace_after_a_poll(src, dst):
        seen.append(_take(channel))
        replace(src, dst)

    monkeypatch.setattr(broker.os, "replace", replace_after_a_poll)
    channel._put("celery", {"body": "x"})
    assert seen == ["nothing"]
    assert channel._get("celery") == {"body": "x"}
    assert list(tmp_path.iterdir()) == []  # taken, and no partial file left behind


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    channel = channel_in(tmp_path, broker.Transport)

    def refuse(src, dst):
        raise PermissionError("read-only folder")

    monkeypatch.setattr(broker.os, "replace", refuse)
    with pytest.raises(broker.ChannelError):
        channel._put("celery", {"body": "x"})
    assert list(tmp_path.iterdir()) == []


def _take(channel) -> str:
    try:
        channel._get("celery")
    except Empty:
        return "nothing"
    except json.JSONDecodeError:
        return "an empty message"
    return "a message"
