"""The network pulse page: for members, charts each with a text alternative beside a table."""

import re

from app.forum.models import ChannelKind, Visibility
from tests.factories import make_channel, make_member, make_thread


def test_the_pulse_is_for_members_with_charts_and_tables(client_as, session, client):
    pilot = make_channel(session, kind=ChannelKind.pilot, name="Harbour Partnership", slug="harbour")
    make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True,
                 name="Safe space", slug="safe-space")
    make_thread(session, channel=pilot, replies=2)
    assert client.get("/pulse").status_code == 303  # sign in first
    page = client_as(make_member(session)).get("/pulse")
    assert page.status_code == 200
    charts = re.findall(r'<svg class="chart"[^>]*role="img" aria-labelledby="([^"]+)"', page.text)
    assert charts and all(f'id="{part}"' in page.text for ids in charts for part in ids.split())
    assert "3 posts in 12 weeks" in page.text  # a chart's text alternative
    harbour = re.search(r'<tr><th scope="row"><a href="/c/harbour">Harbour Partnership</a></th>(.*?)</tr>',
                        page.text, re.S).group(1)
    assert re.findall(r'<td class="num">(\d+)</td>', harbour)[-1] == "3"  # the table holds the same numbers
    assert "<script" not in page.text.split("<main")[1].split("</main>")[0]
