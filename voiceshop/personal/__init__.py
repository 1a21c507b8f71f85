"""What a shopper usually buys: purchase history import and the preferences drawn from it."""
