"""The Slack driving side: a Bolt app (buttons, /pager, App Home) mounted on the HTTP app."""
