import LambdaFunction

Entry.main()
