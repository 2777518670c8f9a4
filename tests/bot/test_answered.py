"""The pushes behind the bot's latest answers (for /undo sent as a reply to an answer)."""

from __future__ import annotations

from bot.answered import AnsweredPushes, PushRef


def test_an_answer_gives_back_the_pushes_it_answered() -> None:
    answered = AnsweredPushes()
    one, two = PushRef("-100:5", 778), PushRef("-100:6", 779)
    answered.note(-100, 40, (one,))
    answered.note(-100, 41, (one, two))
    answered.note(-100, 42, ())  # an answer to no push is not kept
    assert answered.of(-100, 40) == (one,)
    assert answered.of(-100, 41) == (one, two)
    assert answered.of(-100, 42) == ()
    assert answered.of(-200, 40) == ()  # the same message id in another chat


def test_only_the_latest_answers_are_kept() -> None:
    answered = AnsweredPushes(keep=3)
    for message_id in range(5):
        answered.note(1, message_id, (PushRef(f"1:{message_id}", 1),))
    assert [answered.of(1, m) != () for m in range(5)] == [False, False, True, True, True]
