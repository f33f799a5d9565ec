"""The corpus layer: an articles folder -> validated ``Article`` objects and their analysed words.

Rule: pure functions of the files; no Flask, no Whoosh writer, no fitted model. Everything
downstream (the index, the model, the pages) reads articles through this layer, so an article
means the same thing to all of them.
"""
