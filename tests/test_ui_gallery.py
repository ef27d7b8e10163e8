"""Every screen in both languages at several sizes: rendered, saved, and checked automatically."""

from __future__ import annotations

import pygame
import pytest

from kiosk.config import Config
from kiosk.flow import Screen
from kiosk.ui.check import check_frame
from kiosk.ui.gallery import gallery_settings, render_gallery, sample_states
from kiosk.ui.layout import Layout
from kiosk.ui.render import Look
from kiosk.ui.theme import HIGH_CONTRAST, STANDARD, contrast_ratio
from kiosk.ui.widgets import Button, Frame, Text, draw_frame
from kiosk.flow_events import Action


def problems_of(shots):
    return [f"{s.size[0]}x{s.size[1]} {s.language} {s.name}: {p}" for s in shots
            for p in s.problems]


def test_samples_cover_every_screen():
    states = sample_states(gallery_settings(Config()))
    assert {s.screen for s in states.values()} == set(Screen)


def test_every_screen_both_languages_landscape_and_portrait(tmp_path):
    shots = render_gallery(tmp_path, Config(), sizes=[(800, 480), (480, 800)])
    assert problems_of(shots) == []
    assert len(shots) == 2 * 2 * len(sample_states(gallery_settings(Config())))
    for shot in shots:
        image = pygame.image.load(str(shot.path))
        assert image.get_size() == shot.size


def test_other_resolutions(tmp_path):
    shots = render_gallery(tmp_path, Config(),
                           sizes=[(1024, 600), (1280, 720), (1920, 1080), (600, 1024),
                                  (720, 1280), (1080, 1920)],
                           save=False)
    assert problems_of(shots) == []


@pytest.mark.parametrize("high_contrast,large_text", [(True, False), (False, True), (True, True)])
def test_high_contrast_and_large_text(tmp_path, high_contrast, large_text):
    look = Look(high_contrast=high_contrast, large_text=large_text)
    shots = render_gallery(tmp_path, Config(), sizes=[(800, 480), (480, 800), (1920, 1080)],
                           look=look, save=False)
    assert problems_of(shots) == []


def test_eight_presets_and_odd_limits_still_fit(tmp_path):
    config = Config()
    from dataclasses import replace
    from kiosk.config import Cents
    topup = replace(config.topup, presets=tuple(Cents(c) for c in (500, 1000, 1500, 2000, 2500,
                                                                   5000, 10000, 99950)),
                    maximum=Cents(99999), minimum=Cents(250))
    shots = render_gallery(tmp_path, replace(config, topup=topup),
                           sizes=[(800, 480), (480, 800)],
                           only=["amount", "other_amount", "confirm"])
    assert problems_of(shots) == []


def test_theme_colour_pairs_meet_their_bars():
    for theme in (STANDARD, HIGH_CONTRAST):
        pairs = [(theme.text, theme.background), (theme.muted, theme.background),
                 (theme.text, theme.surface), (theme.muted, theme.surface),
                 (theme.on_primary, theme.primary), (theme.on_secondary, theme.secondary),
                 (theme.on_key, theme.key), (theme.error, theme.background),
                 (theme.error, theme.surface), (theme.header_text, theme.header)]
        for fg, bg in pairs:
            assert contrast_ratio(fg, bg) >= theme.min_contrast, (theme.name, fg, bg)
    assert HIGH_CONTRAST.min_contrast == 7.0 and STANDARD.min_contrast == 4.5
    # Boundaries of controls and the focus ring: WCAG's 3:1 for non-text contrast.
    for theme in (STANDARD, HIGH_CONTRAST):
        for colour in (theme.focus, theme.outline, theme.on_secondary, theme.primary):
            assert contrast_ratio(colour, theme.background) >= 3.0, (theme.name, colour)


def test_touch_targets_scale_with_dpi(tmp_path):
    # A dense panel needs more pixels for 9 mm; the checker measures against that.
    look = Look(dpi=220)
    assert Layout(800, 480, 220).min_target == 78
    shots = render_gallery(tmp_path, Config(), sizes=[(1280, 720)], look=look,
                           only=["amount", "other_amount", "admin_menu", "confirm"])
    assert problems_of(shots) == []


def test_the_checker_finds_what_it_is_for():
    pygame.font.init()
    surface = pygame.Surface((800, 480))
    layout = Layout(800, 480, 133)
    frame = Frame([
        Text(pygame.Rect(10, 10, 40, 14), "Ein viel zu langer Text für diese Box", 20,
             STANDARD.text, name="long"),
        Text(pygame.Rect(10, 100, 200, 40), "blass", 20, (200, 200, 200), name="pale"),
        Button(pygame.Rect(10, 200, 30, 30), "x", Action.BACK, name="tiny"),
        Button(pygame.Rect(20, 210, 80, 80), "y", Action.CANCEL, name="overlapping"),
    ])
    draw_frame(surface, frame, STANDARD, None, 6, 3)
    found = "\n".join(check_frame(surface, frame, layout, STANDARD))
    assert "'long'" in found and "does not fit" in found
    assert "'long' ('Ein viel zu langer Text für diese Box') shrank to 12 px" in found
    assert "'pale' contrast" in found
    assert "'tiny' is 30x30 px" in found
    assert "overlap" in found


def test_gallery_command(tmp_path, capsys):
    from kiosk.ui.gallery import main
    assert main([str(tmp_path), "--size", "1024x600", "--language", "en", "--large-text"]) == 0
    assert "0 problems" in capsys.readouterr().out
    assert (tmp_path / "1024x600-en-confirm.png").exists()


def test_contrast_check_reads_the_fill_beside_the_glyphs_not_the_glyphs():
    # Regression: the check sampled eight points on the box's edge; fitted text reaches that
    # edge, and a majority landing on ink read the text's own colour as the background
    # ("contrast 1.00:1" for perfectly readable text, seen once at 1920x1080).
    pygame.font.init()
    from kiosk.ui.fonts import font
    from kiosk.ui.widgets import Drawing
    solid = "\u2588" * 6            # full blocks: ink covers the whole line box
    w, h = font(40).size(solid)
    surface = pygame.Surface((800, 480))
    layout = Layout(800, 480, 133)
    tight = Text(pygame.Rect(20, 20, w, h), solid, 40, STANDARD.text, name="tight")
    frame = Frame([tight])
    draw_frame(surface, frame, STANDARD, None, 6, 3)
    edge = [(21, 21), (18 + w, 21), (21, 20 + h // 2), (18 + w, 18 + h)]  # old sample points
    assert sum(tuple(surface.get_at(p))[:3] == STANDARD.text for p in edge) >= 3  # the trap
    assert check_frame(surface, frame, layout, STANDARD) == []

    # Still caught: a neighbour painted under the box in a colour close to the text's, which
    # the widget tree does not know as a fill (only the pixels show it) ...
    murky = (40, 52, 64)
    frame = Frame([
        Drawing(pygame.Rect(100, 200, 300, 60), lambda s, r: s.fill(murky, r), name="blot"),
        Text(pygame.Rect(100, 200, 300, 60), "Guthaben", 30, STANDARD.text, name="on_blot"),
    ])
    draw_frame(surface, frame, STANDARD, None, 6, 3)
    found = check_frame(surface, frame, layout, STANDARD)
    assert any("'on_blot' contrast" in p and str(murky) in p for p in found), found
    # ... and text whose glyphs cover their whole box in a colour too close to its known fill.
    frame = Frame([Text(pygame.Rect(20, 20, w, h), solid, 40, (225, 228, 230), name="pale")])
    draw_frame(surface, frame, STANDARD, None, 6, 3)
    assert any("'pale' contrast" in p for p in check_frame(surface, frame, layout, STANDARD))


def test_the_checker_finds_text_running_under_a_button():
    # Portrait result screens once let the message box run down under the OK button.
    pygame.font.init()
    surface = pygame.Surface((480, 800))
    layout = Layout(480, 800, 133)
    ok = Button(pygame.Rect(330, 700, 130, 80), "OK", Action.FINISH, kind="primary")
    frame = Frame([Text(pygame.Rect(20, 400, 440, 380), "Bitte nehmen Sie Ihren Beleg.", 30,
                        STANDARD.text, name="message"), ok])
    draw_frame(surface, frame, STANDARD, None, 6, 3)
    found = check_frame(surface, frame, layout, STANDARD)
    assert any("'message'" in p and "runs under button 'finish'" in p for p in found), found
    # Its own label inside the button is no problem.
    frame = Frame([ok])
    draw_frame(surface, frame, STANDARD, None, 6, 3)
    assert check_frame(surface, frame, layout, STANDARD) == []


def test_a_long_reference_breaks_after_a_hyphen_instead_of_shrinking():
    from kiosk.ui.textfit import fit_text
    pygame.font.init()
    reference = "7d6b75ec-d032-48e0-8a06-c4ca3a9e248f"   # kiosk.journal.new_reference()
    one_line = fit_text(reference, 400, 200, 60, True, max_lines=1)
    two_lines = fit_text(reference, 400, 200, 60, True, max_lines=2)
    assert two_lines.fits and len(two_lines.lines) == 2 and two_lines.px > one_line.px * 1.5
    assert "".join(two_lines.lines) == reference and two_lines.lines[0].endswith("-")
    # No hyphen, no break: a word still shrinks rather than being cut anywhere.
    solid = fit_text("Kartenaufladungsbeleg", 120, 200, 60, True, max_lines=2)
    assert solid.lines == ("Kartenaufladungsbeleg",)
