"""One process of tests/services/test_slack_pacing.py: at START (a time.time()), call usergroups.list
CALLS times for TEAM through the Slack client, as fast as it can, against the fake Slack at API_URL,
counting the calls paced on the shared Redis (REDIS_URL); prints "<sent> <paced> <late: 1 or 0>".

    python tests/services/slack_pacer.py API_URL TOKEN TEAM CALLS START
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from integrations.slack import client as slack  # noqa: E402

api_url, token, team, calls, start = sys.argv[1:6]
settings.SLACK_API_URL, settings.SLACK_PACING = api_url, True
bot = slack.SlackClient(token, team_id=team)
bot.auth_test()  # warm up (the HTTP client, the Redis connection and script) before the start
sent = paced = 0
late = time.time() > float(start)  # started after the other may have finished
time.sleep(max(0.0, float(start) - time.time()))
for _ in range(int(calls)):
    try:
        bot.usergroups_list()
        sent += 1
    except slack.RateLimited as held:
        assert held.code == "paced", held.code
        paced += 1
print(sent, paced, int(late))
