"""The synthetic MyStamp data set (`gdpr-analytics sample`): the generator and its Belgian reference lists."""
