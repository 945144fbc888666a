"""`python -m proto.asyncapi`: write proto/asyncapi.yaml from the code."""

from proto.asyncapi import DOCUMENT
from proto.asyncapi.document import render


def main() -> None:
    text = render()
    changed = not DOCUMENT.exists() or DOCUMENT.read_text() != text
    DOCUMENT.write_text(text)
    print(f"{DOCUMENT}: {'updated' if changed else 'unchanged'}")


if __name__ == "__main__":
    main()
