return await Codis.Admin.CodisConfigCli.RunAsync(args);
