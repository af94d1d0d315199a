"""The graph view on a learner's own Value class: ⚠ where their code disagrees with the chain rule."""

from __future__ import annotations

from mgtui.screens.check import CheckScreen
from mgtui.widgets.topo_list import TopoList
from tests.screen import screen_text, settle
from tests.test_graph_view import SIZE, app_for, cursor, tree_row


def topo_row(app, name: str) -> str:
    region = app.screen.query_one(TopoList).region
    for line in screen_text(app).splitlines()[region.y : region.bottom]:
        row = line[region.x : region.right]
        if row[2:].startswith(f"{name} "):
            return row
    raise AssertionError(f"no topo row for {name!r}")


async def test_a_step_that_disagrees_is_marked_once_taken_in_tree_list_and_panel():
    app = app_for("planted_bugs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "⚠ 2 (w)" in screen_text(app).splitlines()[0]
        assert "⚠" not in tree_row(app, "o")  # not yet: the step has not been taken
        await pilot.press("n", "n", "n", "n")  # forward ×2, seed, then o's backward step
        text = screen_text(app)
        assert "⚠" in tree_row(app, "o") and "⚠" not in tree_row(app, "n")
        assert "⚠" in topo_row(app, "o")
        assert "⚠ wrong local derivative: expected n.grad += (1 − o²) · o.grad = 0.5 ·" in text
        assert "n.grad: 0 → 0.292893  ⚠ should be 0.5" in text
        await pilot.press("p")
        assert "⚠" not in tree_row(app, "o")  # stepping back takes the mark back


async def test_a_final_grad_that_a_wrong_step_upstream_spoiled_is_marked_wrong_not_final():
    app = app_for("planted_bugs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        assert "✗" in tree_row(app, "a") and "✓" not in tree_row(app, "a")  # 0.2929, the chain rule: 1.0
        assert "✓" in tree_row(app, "o")  # the seed is right
        assert "✗" in topo_row(app, "a")
        text = screen_text(app)  # the step's own verdict (⚠) and the end-to-end one (✗), wrapped at 80
        assert "a.grad: 0.292893 → 0.292893  ⚠ should be 0.585786  ✗ final, the chain" in text
        assert "│ rule gives 1.0" in text


async def test_w_jumps_to_each_step_that_disagrees_and_says_when_there_is_none_left():
    app = app_for("planted_bugs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("w")
        assert cursor(app).position == 4
        await pilot.press("w")
        assert cursor(app).position == 5
        text = screen_text(app)
        assert "⚠ overwrote instead of accumulating: a.grad was 0.292893 and should have" in text
        assert "a.grad: 0.292893 → 0.292893  ⚠ should be 0.585786" in text  # the panel grew to show it
        await pilot.press("w")
        assert cursor(app).position == 5
        assert "no step after this one disagrees with the chain rule" in screen_text(app)
        await pilot.press("W")
        assert cursor(app).position == 4


async def test_w_on_a_correct_graph_says_nothing_is_marked():
    app = app_for("own_value")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("w")
        assert cursor(app).position == 0
        assert "every step follows the chain rule: nothing is marked ⚠" in screen_text(app)


async def test_C_checks_the_final_grads_against_every_measure_side_by_side():
    app = app_for("planted_bugs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        assert isinstance(app.screen, CheckScreen)
        await settle(pilot)
        text = screen_text(app)
        assert "✗ mgtui's engine: 2 of 3 grads differ" in text
        assert "✓ your backward(): all 3 grads agree" in text
        row = next(line for line in text.splitlines() if line.startswith("│█ a "))
        assert "0.2929" in row and "1.0000 ✗" in row
        await pilot.press("escape")
        assert not isinstance(app.screen, CheckScreen)


async def test_find_and_the_numerical_check_work_on_micrograd_s_own_value(write_scenario):
    from tests.test_cli import MICROGRAD_SANITY

    app = app_for(write_scenario(MICROGRAD_SANITY))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "slash", *"#0", "enter", "escape")
        assert "found #0, 1 of 1" in screen_text(app)
        await pilot.press("c")
        await settle(pilot)
        assert "(#13(#0+h) − #13(#0))/h = 46 (h=1e-6) vs backprop 46: ✓" in screen_text(app)
