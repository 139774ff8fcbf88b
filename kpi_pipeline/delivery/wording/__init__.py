"""The report's words and numbers: labels in Japanese and English, number and date formats, stored note codes as sentences."""
