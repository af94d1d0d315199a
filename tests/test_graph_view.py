"""The graph view, driven like a user drives it: real keys through Textual's pilot at 80×24."""

from __future__ import annotations

import re

import pytest

from engine.stepping import Cursor
from mgtui.app import MgtuiApp
from mgtui.scenario import bundled_paths, load, resolve
from mgtui.screens.graph import GraphScreen
from mgtui.screens.help import HelpScreen
from mgtui.session import Session
from mgtui.widgets.graph_tree import GraphTree
from tests.screen import screen_text, settle

SIZE = (80, 24)


def app_for(name_or_path: str, **kwargs) -> MgtuiApp:
    return MgtuiApp(Session.open(load(resolve(str(name_or_path)))), **kwargs)


def tree_row(app: MgtuiApp, name: str) -> str:
    """The tree's row for the node called `name`, as drawn (data and grad)."""
    region = app.screen.query_one(GraphTree).region
    for line in screen_text(app).splitlines()[region.y : region.bottom]:
        panel = line[region.x : region.right]
        match = re.search(rf"(?:^|[\s▶◀]){re.escape(name)}  ", panel)
        if match:
            return panel
    raise AssertionError(f"no row for {name!r} on screen:\n{screen_text(app)}")


def cursor(app: MgtuiApp) -> Cursor:
    screen = app.screen
    assert isinstance(screen, GraphScreen)
    return screen.cursor


async def test_first_screen_shows_the_graph_with_nothing_computed():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "The lecture's first expression" in text
        assert "start · step 0/7" in text
        assert "L  *  ·  grad ·" in tree_row(app, "L")
        assert "a  2.0000  grad ·" in tree_row(app, "a")
        assert "next (n): e = a · b = 2.0 · -3.0 = -6.0" in text


async def test_n_steps_forward_and_explains_each_value():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert cursor(app).position == 1
        text = screen_text(app)
        assert "forward 1/3" in text
        assert "e = a · b = 2.0 · -3.0 = -6.0" in text
        assert "e  *  -6.0000  grad ·" in tree_row(app, "e")
        await pilot.press("n", "n", "n")
        assert "L.grad = 1.0" in screen_text(app)
        assert "L  *  -8.0000  grad 1.0000 ✓" in tree_row(app, "L")


async def test_e_runs_to_the_end_and_shows_the_lectures_gradients():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        assert cursor(app).at_end
        assert "grad 6.0000 ✓" in tree_row(app, "a")
        assert "grad -4.0000 ✓" in tree_row(app, "b")
        assert "grad -2.0000 ✓" in tree_row(app, "c")
        assert "grad 4.0000 ✓" in tree_row(app, "f")
        assert "a.grad += b · e.grad = -3.0 · -2.0 = 6.0" in screen_text(app)


async def test_p_undoes_the_last_step_on_screen():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "p")
        assert cursor(app).position == 6
        assert "a  2.0000  grad ·" in tree_row(app, "a")
        assert "b  -3.0000  grad ·" in tree_row(app, "b")
        assert "grad -2.0000 ✓" in tree_row(app, "e")
        assert "backward 2/3" in screen_text(app)
        await pilot.press("n")
        assert "grad 6.0000 ✓" in tree_row(app, "a")


async def test_r_resets_and_brackets_jump_between_phases():
    app = app_for("neuron")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")
        assert cursor(app).position == 5  # every value computed, no grad yet
        assert "forward 5/5" in screen_text(app)
        assert "o  tanh  0.7071  grad ·" in tree_row(app, "o")
        await pilot.press("right_square_bracket")
        assert cursor(app).at_end
        await pilot.press("left_square_bracket")
        assert cursor(app).position == 5
        await pilot.press("r")
        assert cursor(app).position == 0
        assert "start" in screen_text(app)


async def test_the_tanh_step_is_explained_in_numbers():
    app = app_for("neuron")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket", "n", "n")
        text = screen_text(app)
        assert "n.grad += (1 − o²) · o.grad = 0.5 · 1.0 = 0.5" in text
        assert "n.grad: 0 → 0.5  ✓ final" in text
        await pilot.press("e")
        assert "grad -1.5000 ✓" in tree_row(app, "x1")
        assert "grad 1.0000 ✓" in tree_row(app, "w1")


async def test_a_shared_node_is_drawn_once_and_enter_on_a_reference_goes_to_it():
    app = app_for("reuse")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        text = screen_text(app)
        assert text.count("↪ a") == 1 and text.count("↪ b") == 1
        assert "a  -2.0000  grad -3.0000 ✓" in tree_row(app, "a")
        tree = app.screen.query_one(GraphTree)
        a = tree.cursor.timeline.nodes.index(next(n for n in tree.cursor.timeline.nodes if n.label == "a"))
        reference = next(n for n in tree._occurrences[a] if n.data.reference)
        tree.move_cursor(reference)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert tree.cursor_node is not None and not tree.cursor_node.data.reference
        assert tree.cursor_node.data.node == reference.data.node
        assert "not following the steps" in screen_text(app)


async def test_accumulation_is_shown_as_two_contributions():
    app = app_for("double")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        text = screen_text(app)
        assert re.search(r"a\.grad: 0 → 1\.0\s+│", text)  # the first contribution: not final yet
        assert "a.grad: 1.0 → 2.0  (+= adds to what it had)  ✓ final" in text


async def test_space_plays_and_pauses():
    app = app_for("tiny_mlp")  # 795 steps: autoplay cannot run out of steps during the test
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "plus", "plus", "plus")  # from a step every 2 s to 8 steps per second
        assert app.screen.speed == 8
        await pilot.press("space")
        await pilot.pause()
        key_bar, status = (line for line in (screen_text(app).splitlines()[-1], screen_text(app).splitlines()[0]))
        assert "space Pause" in key_bar and "Play" not in key_bar
        assert "▶ 8 steps/s" in status  # the speed, on screen while playing
        await pilot.pause(0.5)
        await pilot.press("space")
        moved = cursor(app).position
        assert moved > 0
        await pilot.pause(0.4)
        assert cursor(app).position == moved
        assert "autoplay paused at 8 steps/s" in screen_text(app)
        assert "space Play" in screen_text(app).splitlines()[-1]


async def test_autoplay_goes_at_a_pace_a_teacher_can_talk_over():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await pilot.pause(1.0)
        assert cursor(app).position == 0  # a step every 2 s by default: none yet after one second
        assert "▶ 0.5 step/s" in screen_text(app).splitlines()[0]
        await pilot.press("space")


async def test_autoplay_stops_at_the_end():
    app = app_for("double")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "plus", "plus", "plus", "plus", "space")  # 16 steps/s
        await pilot.pause(0.5)
        assert cursor(app).at_end
        assert not app.screen.playing


async def test_c_checks_the_selected_node_numerically():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        tree = app.screen.query_one(GraphTree)
        await pilot.pause()
        assert tree.cursor.timeline.name(tree.selected_node()) == "e"  # the tree follows the last step
        await pilot.press("down")
        assert tree.cursor.timeline.name(tree.selected_node()) == "a"
        await pilot.press("c")
        await settle(pilot)
        text = screen_text(app)
        assert "check dL/da" in text
        assert "backprop 6: ✓ agree" in text


async def test_slash_finds_a_node_by_label():
    app = app_for("neuron")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.press(*"w2")
        await pilot.press("enter")
        await pilot.pause()
        tree = app.screen_stack[-2].query_one(GraphTree)  # the box stays open, the graph shows the match
        assert tree.cursor.timeline.name(tree.selected_node()) == "w2"
        assert "w2, 1 of 1 (enter: next)" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)
        assert "found w2, 1 of 1" in screen_text(app)


async def test_tree_stops_following_when_the_user_moves_and_f_resumes():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        tree = app.screen.query_one(GraphTree)
        await pilot.press("n")
        await pilot.pause()
        assert tree.cursor.timeline.name(tree.selected_node()) == "e"
        await pilot.press("down")  # the user looks at a
        await pilot.press("n")  # computes d: the tree stays where the user is
        await pilot.pause()
        assert tree.cursor.timeline.name(tree.selected_node()) == "a"
        assert "not following the steps" in screen_text(app)
        await pilot.press("f")
        await pilot.pause()
        assert tree.cursor.timeline.name(tree.selected_node()) == "d"


async def test_tab_moves_between_panels():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        assert app.focused.id == "graph-tree"
        await pilot.press("tab")
        assert app.focused.id == "topo-list"
        await pilot.press("n")  # stepping keys work whichever panel has focus
        assert cursor(app).position == 1


async def test_help_lists_every_binding():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_screen = app.screen
        graph_screen = app.screen_stack[-2]
        text = str(help_screen.keys_table().columns[1]._cells)
        assert graph_screen is not help_screen
        bindings = [b for part in GraphScreen.__mro__ for b in part.__dict__.get("BINDINGS", [])]
        assert {"step.play", "node.find", "nudge.all", "tree.output"} <= {b.id for b in bindings}
        for binding in [*bindings, *MgtuiApp.BINDINGS]:
            # no training here; Pause shows while playing; following a teacher needs --follow;
            # Textual's copy is ctrl+c, which quits here, or super+c, which no terminal sends
            if binding.action not in ("training", "pause", "follow_teacher", "screen.copy_text"):
                assert (binding.tooltip or binding.description) in text, binding.description
        await pilot.press("escape")
        assert isinstance(app.screen, GraphScreen)


async def test_help_lists_the_views_keys_before_textuals_own_and_none_only_super_reaches():
    from tests.test_training_view import training_app

    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        rows = [str(cell) for cell in app.screen.keys_table().columns[1]._cells]
        assert rows.index("Loss curve on a log scale, or back") < rows.index("Focus Next")
        assert "Copy selected text" not in rows  # ctrl+c quits here; no terminal sends super+c


async def test_q_quits():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_ctrl_c_quits_cleanly():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert not app.is_running


async def test_nan_and_inf_are_shown_and_flagged(write_scenario):
    path = write_scenario(
        '''
        """Overflow."""
        from engine import Value

        def graph():
            big = Value(1e308, label="big")
            inf = big * 10
            inf.label = "inf"
            nan = inf - inf
            nan.label = "nan"
            return nan
        '''
    )
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        assert "inf" in tree_row(app, "inf") and "⚠" in tree_row(app, "inf")
        assert "⚠" in tree_row(app, "nan")


async def test_a_5000_deep_chain_opens_and_steps(write_scenario):
    path = write_scenario(
        '''
        """A deep chain."""
        from engine import Value

        def graph():
            x = Value(0.5, label="x")
            for _ in range(2500):
                x = (x * 1.0001).tanh()
            x.label = "out"
            return x
        '''
    )
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        assert cursor(app).at_end
        await pilot.press("p", "p", "left_square_bracket", "n")
        await pilot.pause()
        text = screen_text(app)
        assert "seed" in text or "backward" in text
        tree = app.screen.query_one(GraphTree)
        assert tree.cursor.last_step.node == tree.selected_node()


async def test_small_terminals_and_resizing_degrade_without_crashing():
    app = app_for("neuron")
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.press("n", "e", "p")
        await pilot.resize_terminal(24, 8)
        await pilot.press("n", "question_mark")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.resize_terminal(120, 40)
        await pilot.press("r")
        await pilot.pause()
        assert "start" in screen_text(app)


@pytest.mark.parametrize("name", ["tiny_mlp", "moons"])
async def test_training_scenarios_open_in_the_graph_view_and_step(name):
    app = app_for(name)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "right_square_bracket", "n", "n")
        step = cursor(app).last_step
        assert step is not None and step.phase == "backward"
        assert f"{len(cursor(app).timeline.nodes):,} nodes" in screen_text(app)


def test_snapshot_first_screen(snap_compare):
    assert snap_compare(app_for("expression"), terminal_size=SIZE)


def test_snapshot_mid_backward(snap_compare):
    assert snap_compare(app_for("neuron"), press=["right_square_bracket", "n", "n", "n"], terminal_size=SIZE)


async def test_mgtui_alone_opens_a_picker_and_enter_opens_the_scenario():
    app = MgtuiApp(None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Pick a scenario" in text
        assert re.search(r"expression +The lecture's first expression", text)
        assert "L = -8.0 appear" in text  # the highlighted scenario's description
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)
        assert "The lecture's neuron" in screen_text(app)
        await pilot.press("e")
        assert "grad -1.5000 ✓" in tree_row(app, "x1")


async def test_markers_carry_the_meaning_without_colour(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for("neuron")
    async with app.run_test(size=SIZE) as pilot:
        assert app.no_color
        await pilot.press("right_square_bracket", "n", "n", "n")  # seed, o's step, n's step
        assert "▶" in tree_row(app, "n")  # the node of the step just taken
        assert "◀" in tree_row(app, "x1*w1 + x2*w2") and "◀" in tree_row(app, "b")  # its operands
        assert "✓" in tree_row(app, "o")  # a final grad
        assert "·" in tree_row(app, "x1")  # not computed yet


async def test_the_app_can_start_at_a_given_position():
    app = MgtuiApp(Session.open(load(resolve("expression")), position=3))  # mgtui expression --steps 3
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert cursor(app).position == 3
        assert "forward 3/3" in screen_text(app)
        assert "L  *  -8.0000  grad ·" in tree_row(app, "L")


async def test_a_graph_that_is_a_single_leaf(write_scenario):
    path = write_scenario('"""Just x."""\nfrom engine import Value\n\ndef graph():\n    return Value(3.0, label="x")\n')
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert cursor(app).at_end
        assert "x  3.0000  grad 1.0000 ✓" in tree_row(app, "x")
        await pilot.press("p", "c")
        await settle(pilot)
        assert "check dx/dx" in screen_text(app)


async def test_minus_slows_autoplay_down():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("minus")
        assert app.screen.speed == 0.25
        assert "autoplay speed 0.25 step/s (space plays)" in screen_text(app)


async def test_full_stop_and_comma_step_to_the_steps_that_touch_the_selected_node():
    app = app_for("reuse")  # a feeds d = a·b and e = a + b
    async with app.run_test(size=SIZE) as pilot:
        tree = app.screen.query_one(GraphTree)
        timeline = tree.cursor.timeline
        await pilot.press("slash", "a", "enter", "escape")
        await pilot.pause()
        a = tree.selected_node()
        assert timeline.name(a) == "a"
        await pilot.press("full_stop")
        assert cursor(app).position == timeline.steps_touching(a)[0] + 1
        await pilot.press("full_stop")
        second = cursor(app).position
        assert second == timeline.steps_touching(a)[1] + 1
        await pilot.press("comma")
        assert cursor(app).position == timeline.steps_touching(a)[0] + 1


async def test_enter_on_a_deeper_row_reroots_the_view_and_u_goes_back_up(write_scenario):
    path = write_scenario(
        '''
        """A chain deeper than the tree's window."""
        from engine import Value

        def graph():
            x = Value(0.5, label="x")
            for i in range(30):
                x = x.tanh()
                x.label = f"t{i}"
            return x
        '''
    )
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")  # the last step computed the output: the tree shows it at the top
        await pilot.pause()
        tree = app.screen.query_one(GraphTree)
        assert tree.view_root == tree.cursor.timeline.output_index
        deeper = next(n for nodes in tree._occurrences.values() for n in nodes if n.data.deeper)
        assert "⤵ enter: open deeper" in tree.row_text(deeper).plain
        tree.move_cursor(deeper)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert tree.view_root == deeper.data.node
        assert f"graph from {tree.cursor.timeline.name(deeper.data.node)} (u: up)" in screen_text(app)
        await pilot.press("u")
        await pilot.pause()
        assert tree.layout_model.depth[tree.view_root] < tree.layout_model.depth[deeper.data.node]
        while tree.view_root != tree.cursor.timeline.output_index:
            await pilot.press("u")
            await pilot.pause()
        assert "graph: name  op  data  grad" in screen_text(app)


async def test_the_topological_list_moves_with_arrows_and_enter_shows_the_node_in_the_tree():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")  # to the topological order: a b e c d f L
        topo = app.screen.query_one("#topo-list")
        await pilot.press("home", "down", "down", "up")
        assert topo.selected == 1
        await pilot.press("enter")
        await pilot.pause()
        tree = app.screen.query_one(GraphTree)
        assert tree.cursor.timeline.name(tree.selected_node()) == "b"
        assert app.focused is tree
        assert "not following the steps" in screen_text(app)


async def test_find_says_when_no_node_matches_and_escape_cancels():
    app = app_for("neuron")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"zz", "enter")
        assert "no node labelled 'zz'" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, GraphScreen)
        assert "found" not in screen_text(app)


async def test_a_numerical_check_that_cannot_be_computed_says_why(write_scenario):
    path = write_scenario(
        '''
        """log of a number a bump of h would make negative."""
        from engine import Value

        def graph():
            b = Value(0.0, label="b")
            L = (b * -1 + 1e-7).log()
            L.label = "L"
            return L
        '''
    )
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        tree = app.screen.query_one(GraphTree)
        b = next(i for i, node in enumerate(tree.cursor.timeline.nodes) if node.label == "b")
        tree.reveal(b)
        await pilot.pause()
        await pilot.press("c")
        await settle(pilot)
        assert "numerical check failed: log: needs a positive input" in screen_text(app)


async def test_the_picker_shows_a_broken_scenario_and_says_why_it_cannot_open(monkeypatch, write_scenario):
    broken = write_scenario("def graph(:\n    pass\n", name="broken.py")
    monkeypatch.setattr("mgtui.screens.picker.bundled_paths", lambda: [broken, *bundled_paths()])
    app = MgtuiApp(None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert re.search(r"broken +\(broken:", screen_text(app))
        await pilot.press("enter")
        await pilot.pause()
        assert "Cannot open this scenario" in screen_text(app)
        assert "Pick a scenario" in screen_text(app)  # back in the picker
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)
