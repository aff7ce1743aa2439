#!/usr/bin/env python
import sys


def main():
    from config.env import use_settings

    use_settings()  # .env first, then production unless it or the environment names other settings
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
